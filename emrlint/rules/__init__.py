"""The rule language: grammar and parser (`syntax`, `transformer`, `nodes`), compilation
(`compiler`, `expressions`, `catalogue`), evaluation (`plans`, `queries`, `engine`, `stay`,
`workdays`, `values`), and the tools around it (`loader`, `examples`, `explain`, `junit`)."""
