"""The shared async core of the LTE participation bot."""
