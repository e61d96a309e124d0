from arflow.migrations import run_migrations_online
from arflow.persistence import platform_metadata
from credit_scoring.models import metadata

run_migrations_online([metadata, platform_metadata])
