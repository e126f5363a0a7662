"""Plain-Python building blocks shared by every layer: errors, time. No Flask here."""
