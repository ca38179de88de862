"""Where the local stack keeps its state: `.devstack/` unless `ECOMMERCE_STATE_DIR` says."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_ENV = "ECOMMERCE_STATE_DIR"
DEFAULT_STATE_DIR = ".devstack"


@dataclass(frozen=True)
class StateDir:
    root: Path

    @classmethod
    def from_env(cls, cwd: Path | None = None) -> StateDir:
        configured = os.environ.get(STATE_DIR_ENV, "").strip()
        base = cwd or Path.cwd()
        root = Path(configured) if configured else base / DEFAULT_STATE_DIR
        return cls((base / root).absolute())

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def postgres_data(self) -> Path:
        return self.root / "postgres" / "data"

    @property
    def emulators_dir(self) -> Path:
        """What the AWS emulators hold, one snapshot file each (`devstack.moto_state`)."""
        return self.root / "emulators"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def stack_file(self) -> Path:
        """What runs where, for people and tools (`stack.json`)."""
        return self.root / "stack.json"

    @property
    def owned_file(self) -> Path:
        """Every process group this run started, to end a crashed run's leftovers."""
        return self.root / "owned.json"

    @property
    def segments_file(self) -> Path:
        """The X-Ray segments the local daemon stand-in received."""
        return self.root / "traces" / "segments.jsonl"

    @property
    def faults_file(self) -> Path:
        """Development fault switches for the running stack (`platform.fault_switches`)."""
        return self.root / "faults.json"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def create(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_dir.mkdir(parents=True, exist_ok=True)

    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
