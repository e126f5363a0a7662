"""The PMO's tasks: what kb asks a person to do (confirm a business-as-usual owner, verify an
actioned lesson, revalidate a lesson after its process model changed, review a model in its
custody past its review date). The domains that
decide a task is needed create it here; the task page and API list and complete them."""
