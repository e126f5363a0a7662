"""Actions on published lessons: who does what by when to which process model, template,
checklist, training or policy — and the lesson moving on to `actioned` when the last closes."""
