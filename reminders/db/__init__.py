"""The store: SQLAlchemy models, the engine factory and the migrations."""
