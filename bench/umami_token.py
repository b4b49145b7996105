"""Print a valid x-umami-cache token for the bench site, signed with the data dir's secret.

    python bench/umami_token.py DATA_DIR > token.txt   (then UMAMI_CACHE_FILE=token.txt)

Used as run_ingest.py's --setup (which runs before the server starts, with $DATA set). The token
is genuine (the server verifies it) but names no live visit, so the server signs a fresh one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from footfall.protocols.umami_token import TokenClaims, TokenSigner
from footfall.storage.meta import MetaStore

SITE = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"

meta = MetaStore(Path(sys.argv[1]) / "meta.sqlite3")
token = TokenSigner(meta.secret("umami_cache")).sign(
    TokenClaims(SITE, "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", 1)
)
meta.close()
print(token)
