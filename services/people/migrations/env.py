from people.models import metadata

from arflow.migrations import run_migrations_online
from arflow.persistence import platform_metadata

run_migrations_online([metadata, platform_metadata])
