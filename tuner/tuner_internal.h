/* Private to tuner/: the tuner handle shared by session.c and calibrate.c. */
#ifndef MXT_TUNER_INTERNAL_H
#define MXT_TUNER_INTERNAL_H

#include "mxt_tuner.h"

struct mxt_tuner {
    struct mxt_db *db; /* borrowed; NULL: nothing stored or reused */
    char fingerprint[40];
    struct mxt_model_machine mm; /* uncalibrated */
    int ncalib;
    struct mxt_model_calib *calib; /* MXT_CALIB_INDEX(registry index, schedule) */
    int n_fits;                    /* calibrations stored for this machine */
};

/* Load the stored calibrations of this machine into t->calib (priors elsewhere). */
int mxt_tuner_load_calibration(struct mxt_tuner *t);

#endif
