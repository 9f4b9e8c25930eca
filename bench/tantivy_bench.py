#!/usr/bin/env python3
"""tantivy (PyPI) on the text corpus: index time, query latency, and top-10 overlap with Tessera.

Both index fields "title" and "body" with BM25 (k1 1.2, b 0.75), queries OR'ed over both fields.
Times are CPU seconds of this process with one indexing thread.

usage: tantivy_bench.py CORPUS.jsonl QUERIES.txt TESSERA_TOP10.txt
"""
import json
import sys
import tempfile
import time

import tantivy

corpus_path, queries_path, tessera_path = sys.argv[1:4]
documents = [json.loads(line) for line in open(corpus_path)]
queries = [line.strip() for line in open(queries_path) if line.strip()]

builder = tantivy.SchemaBuilder()
builder.add_text_field("key", stored=True, tokenizer_name="raw")
builder.add_text_field("title", stored=False)
builder.add_text_field("body", stored=False)
schema = builder.build()
directory = tempfile.mkdtemp()
index = tantivy.Index(schema, path=directory)
start = time.process_time()
writer = index.writer(heap_size=200_000_000, num_threads=1)
for document in documents:
    writer.add_document(tantivy.Document(key=document["key"], title=document["title"], body=document["body"]))
writer.commit()
writer.wait_merging_threads()
print(f"tantivy index {len(documents)} documents: {time.process_time() - start:.2f} s CPU")
index.reload()
searcher = index.searcher()
tops = []
latencies = []
for text in queries:
    query = index.parse_query(text, ["title", "body"])
    begin = time.process_time()
    result = searcher.search(query, 10)
    latencies.append(time.process_time() - begin)
    tops.append([searcher.doc(address)["key"][0] for _, address in result.hits])
latencies.sort()
print(
    f"tantivy query: mean {sum(latencies) / len(latencies) * 1e6:.0f} µs, "
    f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1e6:.0f} µs (CPU)"
)
tessera = [line.split() for line in open(tessera_path)]
overlaps = [len(set(a) & set(b)) / max(1, min(10, len(a))) for a, b in zip(tops, tessera)]
print(f"top-10 overlap with Tessera over {len(overlaps)} queries: mean {sum(overlaps) / len(overlaps):.3f}")
