"""Time to load (normalise + build the GraphView) and compile a chain of N ReLUs.

Building a graph must be linear in its size: each GraphView.add checks the
node's name in a hash index instead of scanning every node. The script
prints the seconds per phase for each N and the time per node, which stays
roughly flat when loading is linear (it grew with N when add scanned).

    python benchmarks/bench_load_chain.py [--sizes 10000,30000,100000]
"""
import argparse
import time

import onnx
from onnx import TensorProto, helper


def chain(n):
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"r{i}") for i in range(n)]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("t0", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info(f"t{n}", TensorProto.FLOAT, [1, 4])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def main():
    import fibnlr
    from fibnlr.onnx_io.preprocess import normalize
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    args = parser.parse_args()
    print(f"{'nodes':>8} {'normalize s':>12} {'load_onnx s':>12} {'compile s':>10} {'us/node (load)':>15}")
    for n in (int(s) for s in args.sizes.split(",")):
        data = chain(n)
        t0 = time.perf_counter()
        normalize(onnx.load_from_string(data))
        t1 = time.perf_counter()
        g = fibnlr.load_onnx(data)
        t2 = time.perf_counter()
        g.compile(dims=[[1, 4]])
        t3 = time.perf_counter()
        print(f"{n:>8} {t1 - t0:>12.2f} {t2 - t1:>12.2f} {t3 - t2:>10.2f} {1e6 * (t2 - t1) / n:>15.1f}")


if __name__ == "__main__":
    main()
