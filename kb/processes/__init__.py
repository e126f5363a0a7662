"""Process models as the process repository changes them (`org.pmo.process.changed`), the
lessons such a change calls into question, and the PMO's task list."""
