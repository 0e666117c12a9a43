"""The synthetic world: region, population, households, commuting and tie layers."""
