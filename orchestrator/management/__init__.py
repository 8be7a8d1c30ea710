"""manage.py commands of Orchestrator."""
