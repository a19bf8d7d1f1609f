"""Write nest_survey.csv: a small stratified two-stage sample whose PSU ids repeat across strata.

Run once (seeded); R's survey package then computes the reference values from the same CSV
(survey_spec_reference.R -> survey_spec_r.csv). The tests write this CSV as an SPSS file with
value labels and check workbench's estimates against R's.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20260101)
rows = []
for stratum in range(1, 5):
    n_psu = 3 + stratum % 2                 # 3 or 4 schools per stratum, numbered 1..n again
    for psu in range(1, n_psu + 1):
        size = int(rng.integers(12, 25))
        effect = rng.normal(0, 0.4)
        sex = rng.integers(1, 3, size)
        school_type = np.full(size, 1 + (psu % 2))
        screen = np.round(np.clip(rng.normal(2 + 0.3 * stratum + effect, 0.8, size), 0, None), 2)
        myopia = (rng.uniform(size=size) < 1 / (1 + np.exp(-(-0.5 + 0.4 * (sex == 2) + effect))))
        weight = np.round(rng.uniform(20, 60) * rng.uniform(0.9, 1.1, size), 3)
        rows.append(pd.DataFrame({"stratum": stratum, "school": psu, "wt": weight, "sex": sex,
                                  "school_type": school_type, "myopia": myopia.astype(int),
                                  "screen_h": screen}))
data = pd.concat(rows, ignore_index=True)
data.loc[data.sample(frac=0.05, random_state=1).index, "screen_h"] = np.nan  # a few skipped
data.to_csv(Path(__file__).with_name("nest_survey.csv"), index=False)
print(len(data), "rows")
