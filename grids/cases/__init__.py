"""Cases: intake, the closed loop, deadlines, supervision and assessment."""
