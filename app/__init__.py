"""KAM Assess: the web service."""

from sqlmodel import SQLModel

# Set before any table class is declared (every models module imports this package first),
# so Alembic and the models name every constraint the same way.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
