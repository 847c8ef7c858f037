"""The course's canonical figures that need more than a plot call (`ddlab.plots` draws the plain ones):

dd.py         notebooks 01-04: the unrolled computation graph, its measured cost, a poison's effect
matching.py   notebooks 07-08: random-network embeddings (DM) and paths in weight space (MTT)
leaderboard.py  notebook 09: a method x class grid, accuracies beside the papers', accuracy against time
tesla.py      notebook 14: TESLA's memory and time against MTT's unroll (benchmarks/tesla_memory.json)
"""
