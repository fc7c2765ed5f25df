from kit.migrations import run_env
from library.store import Base

run_env(Base.metadata)
