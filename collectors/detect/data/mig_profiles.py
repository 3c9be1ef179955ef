"""MIG profiles "<g>g.<mem>gb" → the GPUs that offer them.

Sources: NVIDIA MIG user guide, "Supported MIG Profiles" (A30, A100-40GB/80GB; H100 80/94 GB, H100 on
GH200 and H20 96 GB, H200 141 GB, B200, GB200) and AWS sagemaker-hyperpod-cli instance MIG tables
(p4d/p4de list 1g.10gb for the A100-40GB; p6-b200 lists both B200 naming generations).
Non-canonical parts are listed so a profile they share stays ambiguous instead of being pinned.
"""

from __future__ import annotations

_OFFERED: dict[str, str] = {
    "A100-40GB": "1g.5gb 1g.10gb 2g.10gb 3g.20gb 4g.20gb 7g.40gb",
    "A100-80GB": "1g.10gb 1g.20gb 2g.20gb 3g.40gb 4g.40gb 7g.80gb",
    "H100-80GB": "1g.10gb 1g.20gb 2g.20gb 3g.40gb 4g.40gb 7g.80gb",
    "H100-94GB": "1g.12gb 1g.24gb 2g.24gb 3g.47gb 4g.47gb 7g.94gb",
    "GH200-96GB": "1g.12gb 1g.24gb 2g.24gb 3g.48gb 4g.48gb 7g.96gb",
    "H20-96GB": "1g.12gb 1g.24gb 2g.24gb 3g.48gb 4g.48gb 7g.96gb",
    "H200-141GB": "1g.18gb 1g.35gb 2g.35gb 3g.71gb 4g.71gb 7g.141gb",
    # B200 profile names changed between driver branches (180 GB vs 186 GB usable); GB200 uses the latter.
    "B200": "1g.23gb 1g.45gb 2g.45gb 3g.90gb 4g.90gb 7g.180gb 1g.47gb 2g.47gb 3g.93gb 4g.93gb 7g.186gb",
    "GB200": "1g.23gb 1g.47gb 2g.47gb 3g.93gb 4g.93gb 7g.186gb",
    "A30": "1g.6gb 2g.12gb 4g.24gb",
    "RTX-PRO-6000": "1g.24gb 2g.48gb 4g.96gb",
}

MIG_PROFILES: dict[str, frozenset[str]] = {}
for _gpu, _profiles in _OFFERED.items():
    for _profile in _profiles.split():
        MIG_PROFILES[_profile] = MIG_PROFILES.get(_profile, frozenset()) | {_gpu}

# A30 and RTX PRO 6000 have four compute slices, the data-centre parts seven. Profiles only those GPUs
# offer count in quarters; a profile shared with a seven-slice part (1g.24gb) counts in sevenths.
FOUR_SLICE_PROFILES = frozenset({"1g.6gb", "2g.12gb", "4g.24gb", "2g.48gb", "4g.96gb"})
