#!/bin/sh
# The batch script of every Slurm array task that `expman run --executor slurm` submits:
#   sbatch [options] slurm-task.sh <node> <expman.js> worker <config-dir> --experiment <uid> ...
# It runs its arguments exactly as given (no string is built or re-parsed); the worker reads its
# run's index from SLURM_ARRAY_TASK_ID. exec: Slurm's signals (scancel, time limit) reach it.
exec "$@"
