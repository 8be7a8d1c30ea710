"""import_orchestration, export_orchestration, seed_demo, …"""
