"""The files noun: credit files (信用档案) as of any date, read from the projected facts."""
