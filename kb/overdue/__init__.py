"""What is overdue: open actions past their due date, open lessons reviews past theirs, process
models past their next review — how to tell, a process model's review health (green, amber,
red), lists that keep only those, and the sweep that tells each owner once (a process model's
owner and custodian once per review period)."""
