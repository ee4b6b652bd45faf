//! Whole-sequence CPU ops for the recurrent layers (hand-written BPTT).
