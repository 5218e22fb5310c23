"""Gateway storage: the shared declarative Base, core tables, the Store, migrations."""
