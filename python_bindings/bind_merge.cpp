// fibnlr.recipes: the depth-merging recipes (fold_batchnorm, remove_identity,
// merge_convolutions, fold_residual, simplify). Converts, nothing else.
#include <cmath>

#include "Convert.hpp"
#include "PythonTimer.hpp"
#include "fibnlr/recipes/RemoveIdentity.hpp"
#include "fibnlr/recipes/Simplify.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

/// The onnxruntime timer of fibnlr.merge_latency (ValueError there when onnxruntime is not installed).
LatencyTimer pythonTimer(const std::string& runtime) {
    if (runtime == "fibnlr") return nullptr;
    if (runtime != "onnxruntime")
        throw std::invalid_argument("latency_runtime '" + runtime + "' is not valid; expected 'fibnlr' or 'onnxruntime'");
    py::object timer = py::module_::import("fibnlr.merge_latency").attr("onnxruntime_timer")();
    return pythonCallable<double(GraphView&, const Shape&)>(
        std::move(timer), [](const py::object& t, GraphView& g, const Shape& dims) {
            return t(py::cast(&g, py::return_value_policy::reference), dims).cast<double>();
        });
}

namespace {

/// The `recipes` submodule of `m`, created when the other bindings have not made it yet.
py::module_ recipesModule(py::module_& m) {
    if (py::hasattr(m, "recipes")) return m.attr("recipes").cast<py::module_>();
    return m.def_submodule("recipes", "Graph rewrites: FIBNLR pruning and depth merging");
}

MergeOptions mergeOptions(const std::string& mode, double maxMacGrowth, std::vector<Shape> dims, std::uint32_t seed,
                          const std::string& objective, const std::string& runtime) {
    MergeOptions o;
    o.mode = parseMergeMode(mode);
    o.objective = parseMergeObjective(objective);
    o.timer = pythonTimer(runtime);
    o.timerName = runtime;
    if (!(maxMacGrowth > 0))
        throw std::invalid_argument("max_mac_growth " + std::to_string(maxMacGrowth) + " must be a number > 0 (inf: no limit)");
    o.maxMacGrowth = maxMacGrowth;
    o.inputDims = std::move(dims);
    o.probeSeed = seed;
    return o;
}

py::object optionalDouble(double v) { return std::isnan(v) ? py::none() : py::cast(v); }

py::list skippedList(const std::vector<SkippedMerge>& s) {
    py::list out;
    for (const SkippedMerge& k : s) out.append(py::make_tuple(k.nodes, k.reason));
    return out;
}

/// {field: value} of a bound result object, nested results (and lists of
/// them) converted by their own to_dict, so the dict holds only plain values.
py::object plain(const py::handle& v) {
    if (py::hasattr(v, "to_dict")) return v.attr("to_dict")();
    if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
        py::list out;
        for (auto x : v) out.append(plain(x));
        return std::move(out);
    }
    return py::reinterpret_borrow<py::object>(v);
}

template <class C> void toDictMethod(C& c, std::vector<const char*> fields) {
    c.def("to_dict", [fields](const py::object& self) {
        py::dict d;
        for (const char* f : fields) d[f] = plain(self.attr(f));
        return d;
    }, "Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps");
}

} // namespace

void bindMerge(py::module_& m) {
    py::module_ r = recipesModule(m);

    py::class_<BatchNormFold> bnFold(r, "BatchNormFold", "A BatchNormalization folded into the Conv or Gemm before it");
    bnFold.def_readonly("batch_norm", &BatchNormFold::batchNorm, "name of the folded BatchNormalization")
        .def_readonly("into", &BatchNormFold::into, "name of the Conv or Gemm it was folded into")
        .def("__repr__", [](const BatchNormFold& f) { return "BatchNormFold('" + f.batchNorm + "' into '" + f.into + "')"; });
    toDictMethod(bnFold, {"batch_norm", "into"});

    py::class_<MergeRecord> record(r, "MergeRecord", "One merge: the layers merged and what it costs");
    record.def_readonly("nodes", &MergeRecord::nodes, "names of the merged layers, first to last")
        .def_readonly("new_node", &MergeRecord::newNode, "name of the merged layer")
        .def_readonly("macs_before", &MergeRecord::macsBefore, "MACs of the merged layers")
        .def_readonly("macs_after", &MergeRecord::macsAfter, "MACs of the merged layer")
        .def_readonly("cost_before", &MergeRecord::costBefore,
                      "the objective's cost of the merged layers: MACs, or seconds per forward (latency)")
        .def_readonly("cost_after", &MergeRecord::costAfter, "the objective's cost of the merged layer")
        .def_readonly("macs_per_image", &MergeRecord::macsPerImage,
                      "True: MACs per image; False: per output position (no input dims known)")
        .def_readonly("exact", &MergeRecord::exact, "True when the merged layer computes exactly the same output")
        .def_readonly("bias_map", &MergeRecord::biasMap,
                      "True: the merged conv's bias is the chain's f(0) per position (valid only at the merged input size)")
        .def_property_readonly("max_deviation", [](const MergeRecord& x) { return optionalDouble(x.maxDeviation); },
                               "approximate mode: max |merged - original| on a probe input; None in exact mode")
        .def("__repr__", [](const MergeRecord& x) {
            std::string s = "MergeRecord(";
            for (std::size_t i = 0; i < x.nodes.size(); ++i) s += (i ? " + '" : "'") + x.nodes[i] + "'";
            return s + " -> '" + x.newNode + "', MACs " + std::to_string(x.macsBefore) + " -> " + std::to_string(x.macsAfter) + ")";
        });
    toDictMethod(record, {"nodes", "new_node", "macs_before", "macs_after", "cost_before", "cost_after",
                          "macs_per_image", "exact", "bias_map", "max_deviation"});

    py::class_<MergeResult> mergeResult(r, "MergeResult", "What merge_convolutions merged and what it skipped, with reasons");
    mergeResult.def_readonly("merged", &MergeResult::merged, "list of MergeRecord, one per merge done")
        .def_property_readonly("skipped", [](const MergeResult& x) { return skippedList(x.skipped); },
                               "list of (node names, reason)")
        .def("__repr__", [](const MergeResult& x) {
            return "MergeResult(" + std::to_string(x.merged.size()) + " merged, " + std::to_string(x.skipped.size()) + " skipped)";
        });
    toDictMethod(mergeResult, {"merged", "skipped"});

    py::class_<ResidualFold> resFold(r, "ResidualFold", "A residual skip folded into the conv it bypassed");
    resFold.def_readonly("add", &ResidualFold::add, "name of the Add node removed")
        .def_readonly("conv", &ResidualFold::conv, "name of the conv the skip bypassed")
        .def_readonly("skip", &ResidualFold::skip, "'identity' or 'projection'")
        .def_readonly("projection", &ResidualFold::projection, "name of the 1x1 projection conv ('' for identity)")
        .def_readonly("new_node", &ResidualFold::newNode, "name of the conv that replaces them")
        .def("__repr__", [](const ResidualFold& f) {
            return "ResidualFold(" + f.skip + " skip '" + f.add + "' into '" + f.newNode + "')";
        });
    toDictMethod(resFold, {"add", "conv", "skip", "projection", "new_node"});

    py::class_<LayerCost> cost(r, "LayerCost", "MACs (per image) and parameters of one compute node");
    cost.def_readonly("name", &LayerCost::name, "the node's name")
        .def_readonly("type", &LayerCost::type, "the node's operator type")
        .def_readonly("macs", &LayerCost::macs, "multiply-accumulates per image (0 when no dims are known)")
        .def_readonly("params", &LayerCost::params, "number of parameters (weights and biases)")
        .def("__repr__", [](const LayerCost& c) {
            return "LayerCost('" + c.name + "', " + c.type + ", macs=" + std::to_string(c.macs) +
                   ", params=" + std::to_string(c.params) + ")";
        });
    toDictMethod(cost, {"name", "type", "macs", "params"});

    py::class_<SimplifyResult> simplifyResult(r, "SimplifyResult",
                                              "Everything simplify changed, and the per-layer cost before and after");
    simplifyResult.def_readonly("batchnorm_folds", &SimplifyResult::batchNormFolds, "list of BatchNormFold done")
        .def_readonly("removed_identities", &SimplifyResult::removedIdentities, "names of the Identity/Dropout nodes removed")
        .def_readonly("merged", &SimplifyResult::merged, "list of MergeRecord done")
        .def_readonly("residual_folds", &SimplifyResult::residualFolds, "list of ResidualFold done")
        .def_property_readonly("skipped", [](const SimplifyResult& x) { return skippedList(x.skipped); },
                               "list of (node names, reason) from the last merge round")
        .def_readonly("before", &SimplifyResult::before, "list of LayerCost before simplify")
        .def_readonly("after", &SimplifyResult::after, "list of LayerCost after simplify")
        .def_readonly("layers_removed", &SimplifyResult::layersRemoved, "compute layers before minus after")
        .def_readonly("macs_known", &SimplifyResult::macsKnown, "False when no input dims were known (MACs are 0)")
        .def("__repr__", [](const SimplifyResult& x) {
            return "SimplifyResult(layers " + std::to_string(x.before.size()) + " -> " + std::to_string(x.after.size()) +
                   ", " + std::to_string(x.merged.size()) + " merges, " + std::to_string(x.residualFolds.size()) +
                   " residual folds)";
        });
    toDictMethod(simplifyResult, {"batchnorm_folds", "removed_identities", "merged", "residual_folds", "skipped",
                                  "before", "after", "layers_removed", "macs_known"});

    r.def("fold_batchnorm", &foldBatchNorm, py::arg("graph"),
          "Folds BatchNormalization after Conv or Gemm into its weights and bias (the BN's own epsilon).\n\n"
          "Returns:\n    list[BatchNormFold]: the folds done.");
    r.def("remove_identity", [](GraphView& g) { return removeIdentity(g); }, py::arg("graph"),
          "Removes Identity and inference Dropout nodes and reconnects their consumers.\n\n"
          "Returns:\n    list[str]: the removed node names.");
    r.def(
        "merge_convolutions",
        [](GraphView& g, const std::string& mode, double maxMacGrowth, std::vector<Shape> dims, std::uint32_t seed,
           const std::string& objective, const std::string& runtime) {
            return mergeConvolutions(g, mergeOptions(mode, maxMacGrowth, std::move(dims), seed, objective, runtime));
        },
        py::arg("graph"), py::arg("mode") = "exact", py::arg("max_mac_growth") = 1.0, py::arg("dims") = std::vector<Shape>{},
        py::arg("probe_seed") = 0, py::arg("objective") = "macs", py::arg("latency_runtime") = "fibnlr",
        "Merges back-to-back Conv (or Gemm) chains into one layer. mode 'exact' merges only where the result is "
        "exactly equal; 'approximate' also merges padded chains and reports each merge's max deviation on a probe "
        "input. Merges costing more than max_mac_growth times the MACs they replace are skipped. dims: graph input "
        "shapes for per-image MACs (taken from compile() when omitted); with them, a padded conv after a bias merges "
        "exactly, the merged conv carrying the chain's f(0) as a bias map valid at those dims only. "
        "objective: what each chain's merge plan minimises: 'macs' (default), 'latency' (each candidate segment "
        "timed at the dims on latency_runtime 'fibnlr' or 'onnxruntime', cached) or 'layers' (fewest layers). "
        "Identity and Dropout between the layers are looked through.\n\nReturns:\n    MergeResult: merged and "
        "skipped.\n\nRaises:\n    ValueError: an unknown mode, objective or latency_runtime, max_mac_growth <= 0.");
    r.def("fold_residual", &foldResidual, py::arg("graph"),
          "Folds identity and 1x1-projection residual skips around a single conv into its kernel's centre tap.\n\n"
          "Returns:\n    list[ResidualFold]: the folds done.");
    r.def(
        "simplify",
        [](GraphView& g, const std::string& mode, double maxMacGrowth, std::vector<Shape> dims, bool foldBn,
           bool removeId, bool foldRes, std::uint32_t seed, const std::string& objective, const std::string& runtime) {
            SimplifyOptions o;
            o.merge = mergeOptions(mode, maxMacGrowth, std::move(dims), seed, objective, runtime);
            o.foldBatchNorm = foldBn;
            o.removeIdentity = removeId;
            o.foldResidual = foldRes;
            return simplify(g, o);
        },
        py::arg("graph"), py::arg("mode") = "exact", py::arg("max_mac_growth") = 1.0, py::arg("dims") = std::vector<Shape>{},
        py::arg("fold_batchnorm") = true, py::arg("remove_identity") = true, py::arg("fold_residual") = true,
        py::arg("probe_seed") = 0, py::arg("objective") = "macs", py::arg("latency_runtime") = "fibnlr",
        "After pruning: fold BatchNorm, remove Identity/Dropout, then merge convolutions and fold residual skips "
        "until nothing changes; mode, max_mac_growth, dims, probe_seed, objective and latency_runtime as for "
        "merge_convolutions; fold_batchnorm, remove_identity, fold_residual switch those steps.\n\nReturns:\n"
        "    SimplifyResult: every change and a per-layer cost table before and after.\n\nRaises:\n"
        "    ValueError: as merge_convolutions; the graph is then unchanged.");
    r.def(
        "layer_costs", [](const GraphView& g, const std::vector<Shape>& dims) { return layerCosts(g, dims); },
        py::arg("graph"), py::arg("dims") = std::vector<Shape>{},
        "Per compute node: MACs per image (needs dims or a compiled graph, else 0) and parameters.\n\n"
        "Returns:\n    list[LayerCost]: in graph order.");
}

} // namespace fibnlr::bindings
