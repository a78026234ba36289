//! The runner: cases -> libtest-mimic trials; executes steps, captures and cleanup.
