"""Process models as the process repository changes them (`org.pmo.process.changed`) and the
lessons such a change calls into question (a task for the PMO each: kb.tasks)."""
