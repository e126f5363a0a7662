"""What is overdue: open actions past their due date, open lessons reviews past theirs, process
models past their next review — how to tell, lists that keep only those, and the sweep that
tells each owner once."""
