#!/usr/bin/env python3
"""hnswlib on the data set TesseraIndexBench wrote: same M, efConstruction, ef values, one thread.

Times are CPU seconds of the process (one thread), like TesseraIndexBench.

usage: hnswlib_bench.py DATA_DIR DIMENSIONS
"""
import sys
import time

import hnswlib
import numpy as np

directory, dimensions = sys.argv[1], int(sys.argv[2])
data = np.fromfile(f"{directory}/data.f32", dtype="<f4").reshape(-1, dimensions)
queries = np.fromfile(f"{directory}/queries.f32", dtype="<f4").reshape(-1, dimensions)
truth = [set(int(key) for key in line.split()) for line in open(f"{directory}/truth.txt")]

index = hnswlib.Index(space="l2", dim=dimensions)
index.init_index(max_elements=len(data), M=16, ef_construction=200, random_seed=100)
index.set_num_threads(1)
start = time.process_time()
index.add_items(data, np.arange(len(data)), num_threads=1)
print(f"hnswlib build n={len(data)} d={dimensions} M=16 efConstruction=200 l2: {time.process_time() - start:.1f} s")
for ef in [16, 32, 64, 128, 256]:
    index.set_ef(ef)
    start = time.process_time()
    labels, _ = index.knn_query(queries, k=10, num_threads=1)
    elapsed = time.process_time() - start
    found = sum(len(truth[i] & set(int(x) for x in labels[i])) for i in range(len(queries)))
    print(f"hnswlib ef={ef}: {len(queries) / elapsed:.0f} queries/s, recall@10 {found / (len(queries) * 10):.4f}")
