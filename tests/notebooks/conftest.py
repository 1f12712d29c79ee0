"""The leaders' notebooks executed once per module against a copy of the demo city, and a browser."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from sqlalchemy import Engine, create_engine

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("coverage_overview", "platform_staffing", "township_assessment")


@dataclass(frozen=True)
class Run:
    """An executed notebook and the folder it wrote its map into."""

    name: str
    notebook: nbformat.NotebookNode
    out: Path

    @property
    def map_file(self) -> Path:
        """The map the notebook is expected to write (named like the notebook)."""
        return self.out / f"{self.name}.html"


class Runs:
    """Executes each notebook the first time a test asks for it."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self._url, self._folder, self._done = database_url, folder, dict[str, Run]()

    def __getitem__(self, name: str) -> Run:
        if name not in self._done:
            self._done[name] = self._execute(name)
        return self._done[name]

    def _execute(self, name: str) -> Run:
        work, out = self._folder / name, self._folder / name / "maps"
        work.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDS_")}
        env |= {"GRIDS_DATABASE_URL": self._url, "GRIDS_NOTEBOOK_OUT": str(out)}
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        # The kernel works in a scratch folder: nothing lands in notebooks/ whatever a cell writes.
        client = NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
        )
        client.execute(env=env)  # raises CellExecutionError on the first failing cell
        return Run(name, notebook, out)


@pytest.fixture(scope="module")
def runs(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The notebooks, each executed on first use against this module's copy of the demo city."""
    return Runs(demo_url, tmp_path_factory.mktemp("notebooks"))


@pytest.fixture(scope="module")
def engine(demo_url: str) -> Iterator[Engine]:
    """A direct connection to the same copy, for independent expectations."""
    engine = create_engine(demo_url)
    yield engine
    engine.dispose()
