"""A side's mean and its propagated SD (summary.sd_of_mean) at the real-detector level (issue
#26 deliverable 2): the mean of a side's strides against the same strides' mean in the clean
analysis with the force-plate events (tests/test_gait_real_running.py's reference), |error|
within 1.96 sd_of_mean on >= 95 % of side-trials. The sd_of_mean is that of the matched
strides (those the mean is compared over). Skipped when ../shared is absent."""

from __future__ import annotations

import numpy as np
import pytest
from test_gait_real_running import HAMNER, MATCH_S, trial_rows

from pipeline.gait.summary import METRICS, sd_of_mean

pytestmark = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")

MIN_MATCHED = 2  # strides of a side matched to the reference for a side mean
# metrics with too few side-trials of MIN_MATCHED strides with an SD on these 2 s trials
FEW = {"vertical_ratio"}
COMPARED = [name for name in METRICS if name not in FEW]


def side_mean_errors_over_sd(rows: list[dict], name: str) -> np.ndarray:
    """|side mean error| / sd_of_mean per side-trial with a known sd_of_mean (None where a
    stride's SD is unknown: 0-7 of 56 side-trials on seeds 3-9, a stride whose curve has no
    SD at its event)."""
    z = []
    for row in rows:
        for side in ("left", "right"):
            pairs = []
            for stride in row["strides"]:
                refs = [
                    r
                    for r in row["true_strides"]
                    if r.side == side == stride.side
                    and abs(r.strike_frame - stride.strike_frame) <= MATCH_S * row["fps"]
                ]
                if refs and stride.value(name) is not None and refs[0].value(name) is not None:
                    pairs.append((stride, refs[0].value(name)))
            if len(pairs) < MIN_MATCHED:
                continue
            error = np.mean([s.value(name) - ref for s, ref in pairs])
            sd = sd_of_mean([s for s, _ in pairs], name)
            if sd is not None:
                z.append(abs(error) / sd)
    return np.asarray(z, float)


@pytest.mark.parametrize("metric", COMPARED)
def test_side_means_are_covered_by_their_sd_at_the_real_detector_level(metric):
    # seeds 0-2: every metric covered (12 trial-seeds, 11-24 side-trials each); RMS error /
    # sd_of_mean 0.21-1.01, contact time 0.55 (0.64 with the shared read shrunk by sqrt(n)),
    # duty factor 0.50 (0.56), foot-strike angle 0.48 (0.55), step width 0.56 (0.59)
    z = side_mean_errors_over_sd(trial_rows("real"), metric)
    assert z.size and np.sum(z <= 1.96) >= 0.95 * z.size, (metric, int(np.sum(z <= 1.96)), z.size)


# measured on seeds 3-9; the misses are errors a side's strides share that no SD holds
_CHECK_MISSES = {
    "pelvic_drop_deg": "53/56 side-trials within 1.96 sd_of_mean (RMS error / SD 1.04; run300 "
    "seeds 3, 5, 7 off 1.7-4.3 deg at 2.0-2.6 SDs, seed 3 the cameras' constant offsets)",
    "peak_stance_knee_fppa_deg": "53/56 (RMS 0.85; run300 seed 5, run400 seed 9, run500 "
    "seed 4, left, 3.6-5.0 deg off at 2.0-2.8 SDs)",
}


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason=f"{_CHECK_MISSES[name]}: not in sd_of_mean, which holds the strides' "
                "own errors and the events' shared read",
            ),
        )
        if name in _CHECK_MISSES
        else name
        for name in COMPARED
    ],
)
def test_side_means_are_covered_on_the_check_seeds(metric):
    # seeds 3-9 (28 trial-seeds): contact time 54/56 (53/56 with the shared read shrunk by
    # sqrt(n)), duty factor 27/28 (26/28), step width 48/49 (47/49), flight 54/56; the
    # contact-time and duty-factor misses are run200 seed 8, whose strikes are all 3.4
    # frames early (docs/metrics.md); hip ahead of toe 56/56 (RMS 0.64) since the knee's peak
    # time is its quadratic's vertex at every noise level (52/56, RMS 0.86, before: run300's
    # left side 44-51 mm behind the reference on seeds 5, 6, 8 and 9)
    z = side_mean_errors_over_sd(trial_rows("real_check"), metric)
    assert z.size and np.sum(z <= 1.96) >= 0.95 * z.size, (metric, int(np.sum(z <= 1.96)), z.size)
