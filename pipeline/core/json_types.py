"""The one type of the file edge: a JSON object as a record's `to_dict` writes it and its
`from_dict` reads it (json.load / json.dump). Everything inside the pipeline is a typed record;
a signature that returns `JsonObject` says "this is where a record becomes a file"."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
