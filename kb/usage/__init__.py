"""What people use in kb, never who: each search (its query text, result count, time) and the
page views of each document per day (the learning-health dashboard's raw material)."""
