// The FIBNLR recipe under its upstream names, in the submodule fibnlr._core.recipes.
#include <algorithm>
#include <functional>

#include "Convert.hpp"
#include "fibnlr/recipes/FIBNLR.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

template <class T> std::size_t hashOf(const T& v);
template <> std::size_t hashOf(const NPR& v) {
    return std::hash<double>{}(v.neg) * 31 + std::hash<double>{}(v.pos) * 7 + v.nonFinite;
}
template <> std::size_t hashOf(const NNPR& v) { return std::hash<double>{}(v.value); }
template <> std::size_t hashOf(const ActivityTracker& v) { return std::hash<std::vector<bool>>{}(v.neurons); }
template <> std::size_t hashOf(const Group& v) { return std::hash<std::int64_t>{}(v.id); }

/// Common methods of the attribute types: equality, ordering, hash, repr, copy.
template <class T> void commonMethods(py::class_<T, std::shared_ptr<T>>& c) {
    c.def("__eq__", [](const T& a, const py::object& b) { return py::isinstance<T>(b) && a == b.cast<const T&>(); },
          py::arg("other"))
        .def("__ne__",
             [](const T& a, const py::object& b) { return !(py::isinstance<T>(b) && a == b.cast<const T&>()); },
             py::arg("other"))
        .def("__lt__", [](const T& a, const T& b) { return a < b; }, py::arg("other"))
        .def("__le__", [](const T& a, const T& b) { return !(b < a); }, py::arg("other"))
        .def("__gt__", [](const T& a, const T& b) { return b < a; }, py::arg("other"))
        .def("__ge__", [](const T& a, const T& b) { return !(a < b); }, py::arg("other"))
        .def("__hash__", [](const T& a) { return hashOf(a); })
        .def("__repr__", &T::repr)
        .def("__copy__", [](const T& a) { return T(a); })
        .def("__deepcopy__", [](const T& a, py::dict) { return T(a); }, py::arg("memo"));
}

/// fibnlr_add_X, fibnlr_set_X, fibnlr_has_X, fibnlr_get_X (live), fibnlr_try_get_X.
template <class T> void helpers(py::module_& m, const std::string& x, const std::string& typeName) {
    m.def(("fibnlr_add_" + x).c_str(), [](const NodePtr& n) {
        add<T>(*n);
        return n->annotations().tryGetShared<T>(T::key);
    }, py::arg("node"), ("Attaches a fresh " + typeName + " to `node` and returns it (live)").c_str());
    m.def(("fibnlr_set_" + x).c_str(), [](const NodePtr& n, const T& v) {
        set<T>(*n, v);
        return n->annotations().tryGetShared<T>(T::key);
    }, py::arg("node"), py::arg("value"),
          ("Sets the " + typeName + " of `node` (in place: earlier references see the change)").c_str());
    m.def(("fibnlr_has_" + x).c_str(), [](const NodePtr& n) { return has<T>(*n); }, py::arg("node"),
          ("True when `node` carries a " + typeName).c_str());
    m.def(("fibnlr_get_" + x).c_str(), [](const NodePtr& n) {
        get<T>(*n);  // throws ValueError naming the node when absent
        return n->annotations().tryGetShared<T>(T::key);
    }, py::arg("node"), ("The " + typeName + " of `node`, a live reference: changes are seen by C++. Raises "
                         "ValueError naming the node when it has none (not prepared).").c_str());
    m.def(("fibnlr_try_get_" + x).c_str(), [](const NodePtr& n) { return n->annotations().tryGetShared<T>(T::key); },
          py::arg("node"), ("The " + typeName + " of `node`, or None").c_str());
}

/// One Python batch (array, (x, y) tuple or list, torch tensor) -> the model input tensor.
Tensor batchTensor(const py::handle& item, std::size_t index) {
    py::object x = py::reinterpret_borrow<py::object>(item);
    if (py::isinstance<py::tuple>(x) || py::isinstance<py::list>(x)) {
        if (py::len(x) == 0) throw std::invalid_argument("fibnlr_compute: batch " + std::to_string(index) + " is empty");
        x = x.cast<py::sequence>()[0];
    }
    if (py::hasattr(x, "detach") && py::hasattr(x, "cpu")) x = x.attr("detach")().attr("cpu")().attr("numpy")();
    py::module_ np = py::module_::import("numpy");
    x = np.attr("ascontiguousarray")(x, np.attr("float32"));
    return py_convert::toTensor(x, "fibnlr_compute batch " + std::to_string(index));
}

std::uint64_t nonFiniteTotal(const GraphView& g) {
    std::uint64_t n = 0;
    for (const NodePtr& node : fibnlrPreparedNodes(g)) n += get<NPR>(*node).nonFinite;
    return n;
}

/// Runs `fn(source)` without the GIL; a Python iterable is read with the GIL
/// held only while fetching each batch. A DataProvider takes the C++ path.
template <class Fn> auto withData(GraphView& g, const py::object& data, Fn fn) {
    const std::uint64_t before = nonFiniteTotal(g);
    using R = decltype(fn(std::declval<DataProvider&>()));
    R result;
    if (py::isinstance<DataProvider>(data)) {
        DataProvider& provider = data.cast<DataProvider&>();
        py::gil_scoped_release release;
        result = fn(provider);
    } else {
        py::object it = py::iter(data);
        std::size_t index = 0;
        BatchSource source = [&it, &index](std::vector<Tensor>& batch) {
            py::gil_scoped_acquire gil;
            PyObject* next = PyIter_Next(it.ptr());
            if (!next) {
                if (PyErr_Occurred()) throw py::error_already_set();
                return false;
            }
            py::object item = py::reinterpret_steal<py::object>(next);
            batch = {batchTensor(item, index++)};
            return true;
        };
        py::gil_scoped_release release;
        result = fn(source);
    }
    const std::uint64_t after = nonFiniteTotal(g);
    if (after > before) {
        const std::string msg = "fibnlr_compute: " + std::to_string(after - before) +
                                " non-finite activation values (NaN/Inf) were seen; they are left out of NPR and "
                                "counted in NPR.non_finite";
        if (PyErr_WarnEx(PyExc_RuntimeWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
    }
    return result;
}

/// Size and Python name of each bound enum.
template <class E> struct EnumInfo;
template <> struct EnumInfo<Method> { static constexpr int count = kMethodCount; static constexpr const char* name = "Method"; };
template <> struct EnumInfo<NormalizationMethod> {
    static constexpr int count = kNormalizationMethodCount;
    static constexpr const char* name = "NormalizationMethod";
};
template <> struct EnumInfo<GroupMethod> {
    static constexpr int count = kGroupMethodCount;
    static constexpr const char* name = "GroupMethod";
};
template <> struct EnumInfo<AblationCriteria> {
    static constexpr int count = kAblationCriteriaCount;
    static constexpr const char* name = "AblationCriteria";
};
template <> struct EnumInfo<AblationMethod> {
    static constexpr int count = kAblationMethodCount;
    static constexpr const char* name = "AblationMethod";
};

/// pybind11 enums take any integer in __init__ (AblationMethod(7) would act
/// as some other member): this one takes only the enumerators' values.
template <class E> void strictInit(py::enum_<E>& e) {
    e.attr("__init__") = py::none();  // drop pybind11's unchecked constructor
    e.def(py::init([](int v) {
              if (v < 0 || v >= EnumInfo<E>::count) {
                  std::string names;
                  for (int i = 0; i < EnumInfo<E>::count; ++i)
                      names += (i ? ", " : "") + toString(static_cast<E>(i)) + " (" + std::to_string(i) + ")";
                  throw py::value_error(std::string(EnumInfo<E>::name) + "(" + std::to_string(v) +
                                        "): expected one of " + names);
              }
              return static_cast<E>(v);
          }),
          py::arg("value"), "The member whose value is `value`; ValueError for any other integer");
}

/// The nodes of `selected` in the order of `order` (a graph's nodes, taken
/// before any rewrite), so results read the same on every run; a node not
/// in `order` (never the case for the recipes) goes last.
std::vector<NodePtr> inOrder(const std::vector<NodePtr>& order, const std::set<NodePtr>& selected) {
    std::vector<NodePtr> out;
    for (const NodePtr& n : order)
        if (selected.count(n)) out.push_back(n);
    for (const NodePtr& n : selected)
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    return out;
}

std::size_t nbSpatialOf(const NodePtr& n) { return detail::nbSpatial(*n); }

template <template <std::size_t> class F> auto byDim(const NodePtr& n) {
    switch (nbSpatialOf(n)) {
    case 1: return F<1>::call(n);
    case 2: return F<2>::call(n);
    case 3: return F<3>::call(n);
    }
    throw std::invalid_argument(describe(*n) + " has " + std::to_string(nbSpatialOf(n)) + " spatial axes, expected 1 to 3");
}
template <std::size_t D> struct KernelDimsF {
    static std::vector<std::size_t> call(const NodePtr& n) { auto a = getKernelDims<D>(n); return {a.begin(), a.end()}; }
};
template <std::size_t D> struct KernelStridesF {
    static std::vector<std::size_t> call(const NodePtr& n) { auto a = getKernelStrides<D>(n); return {a.begin(), a.end()}; }
};
template <std::size_t D> struct InChannelsF {
    static std::size_t call(const NodePtr& n) { return inChannels<D>(n); }
};
template <std::size_t D> struct OutChannelsF {
    static std::size_t call(const NodePtr& n) { return outChannels<D>(n); }
};
template <std::size_t D> std::vector<std::size_t> composedDims(const NodePtr& a, const NodePtr& b, bool strides) {
    auto r = strides ? computeKernelStrides<D>(a, b) : computeKernelDims<D>(a, b);
    return {r.begin(), r.end()};
}
std::vector<std::size_t> composed(const NodePtr& a, const NodePtr& b, bool strides) {
    switch (nbSpatialOf(a)) {
    case 1: return composedDims<1>(a, b, strides);
    case 2: return composedDims<2>(a, b, strides);
    case 3: return composedDims<3>(a, b, strides);
    }
    throw std::invalid_argument(describe(*a) + " has an unsupported number of spatial axes");
}

} // namespace

void bindRecipes(py::module_& core) {
    py::module_ m = core.def_submodule(
        "recipes",
        "Compiled recipes (private: use fibnlr.recipes, which gives them their clean names)");

    py::enum_<Method> methodEnum(m, "Method", "Group of one node: STRICT gives NNPR 1.0, LOOSE keeps the raw value");
    methodEnum.value("STRICT", Method::Strict, "a group of one node gets NNPR 1.0")
        .value("LOOSE", Method::Loose, "a group of one node keeps its raw normalised value");
    strictInit(methodEnum);
    py::enum_<NormalizationMethod> normEnum(m, "NormalizationMethod", "How NPR is normalised into NNPR within a group");
    normEnum.value("NONE", NormalizationMethod::None, "NNPR = NPR")
        .value("MIN_MAX", NormalizationMethod::MinMax, "(v - min) / (max - min)")
        .value("SUM", NormalizationMethod::Sum, "(v + eps) / (sum + eps)")
        .value("AVERAGE", NormalizationMethod::Average, "(v + eps) / (mean + eps)");
    strictInit(normEnum);
    py::enum_<GroupMethod> groupEnum(m, "GroupMethod", "How nodes are grouped for normalisation");
    groupEnum.value("NONE", GroupMethod::None, "every node in group 0")
        .value("IMAGE_SIZE", GroupMethod::ImageSize, "by H*W of the node's input (needs a compiled graph)")
        .value("MANUAL", GroupMethod::Manual, "by Parameters.group_assignments (node name -> id)");
    strictInit(groupEnum);
    py::enum_<AblationCriteria> criteriaEnum(m, "AblationCriteria", "Which nodes prune selects");
    criteriaEnum.value("NONE", AblationCriteria::None, "none")
        .value("X_LEAST_PER_GROUP", AblationCriteria::XLeastPerGroup,
               "in each group the ablation_x_least lowest NNPR below ablation_threshold")
        .value("THRESHOLD", AblationCriteria::Threshold, "every node with NNPR < ablation_threshold");
    strictInit(criteriaEnum);
    py::enum_<AblationMethod> ablationEnum(m, "AblationMethod", "What prune does to the selected nodes");
    ablationEnum.value("NONE", AblationMethod::None, "nothing (selection only)")
        .value("IDENTITY", AblationMethod::Identity, "replaced by an Identity node of the same name")
        .value("REMOVE", AblationMethod::Remove, "removed, their consumers fed by their input");
    strictInit(ablationEnum);

    using P = FIBNLRParameters;
    py::class_<P>(m, "Parameters",
                  "FIBNLR parameters (defaults as upstream, except node_types: every rectifier-like activation). "
                  "node_types: the operator types prepare selects, in any case ('Relu' is 'ReLU') "
                  "(assign a new list, e.g. p.node_types = p.node_types + ['Tanh']; in-place list methods act on a copy).")
        .def(py::init([](Method method, NormalizationMethod normalization, GroupMethod group,
                         AblationCriteria criteria, AblationMethod ablation, double threshold, std::int64_t xLeast,
                         std::int64_t maxIteration, double convergence,
                         std::map<std::string, std::int64_t> assignments, std::optional<std::vector<std::string>> types) {
                 P p;
                 p.method = method;
                 p.normalization = normalization;
                 p.group = group;
                 p.ablationCriteria = criteria;
                 p.ablationMethod = ablation;
                 p.ablationThreshold = threshold;
                 p.ablationXLeast = xLeast;
                 p.maxIteration = maxIteration;
                 p.convergenceThreshold = convergence;
                 p.groupAssignments = std::move(assignments);
                 if (types) p.nodeTypes = *types;
                 return p;
             }),
             py::kw_only(), py::arg("method") = P{}.method, py::arg("normalization") = P{}.normalization,
             py::arg("group") = P{}.group, py::arg("ablation_criteria") = P{}.ablationCriteria,
             py::arg("ablation_method") = P{}.ablationMethod, py::arg("ablation_threshold") = P{}.ablationThreshold,
             py::arg("ablation_x_least") = P{}.ablationXLeast, py::arg("max_iteration") = P{}.maxIteration,
             py::arg("convergence_threshold") = P{}.convergenceThreshold,
             py::arg("group_assignments") = std::map<std::string, std::int64_t>{},
             py::arg("node_types") = py::none(),
             "Every field by keyword (see the attributes); node_types None: every rectifier-like activation. "
             "Values are checked by validate() and by each recipe (ValueError naming the field).")
        .def_readwrite("method", &P::method, "Method for groups of one node (STRICT or LOOSE)")
        .def_readwrite("normalization", &P::normalization, "NormalizationMethod of NPR into NNPR")
        .def_readwrite("group", &P::group, "GroupMethod: how nodes are grouped")
        .def_readwrite("ablation_criteria", &P::ablationCriteria, "AblationCriteria: which nodes prune selects")
        .def_readwrite("ablation_method", &P::ablationMethod, "AblationMethod: what prune does to them")
        .def_readwrite("ablation_threshold", &P::ablationThreshold, "NNPR below which a node may be selected")
        .def_readwrite("ablation_x_least", &P::ablationXLeast, "X of X_LEAST_PER_GROUP: nodes selected per group")
        .def_readwrite("max_iteration", &P::maxIteration, "compute reads at most this many batches; 0 = no limit")
        .def_readwrite("convergence_threshold", &P::convergenceThreshold,
                       "compute stops when the convergence value (sum of squared NPR changes) falls below it")
        .def_readwrite("group_assignments", &P::groupAssignments, "node name -> group id (GroupMethod.MANUAL)")
        .def_readwrite("node_types", &P::nodeTypes, "Operator types prepare selects (default ReLU, ReLU6, LeakyReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Softplus)")
        .def_static("paper", &P::paper,
                    "Loose, Average, Manual, criteria NONE, Identity (as upstream). With criteria NONE nothing is "
                    "selected, so on its own it prunes nothing: set ablation_criteria (and group_assignments).")
        .def_static("none", &P::none, "Strict, normalisation NONE, group NONE, criteria NONE, ablation NONE")
        .def("validate", &P::validate, "Raises ValueError for an invalid value")
        .def("__eq__", [](const P& a, const P& b) { return a == b; }, py::arg("other"))
        .def("__repr__", &P::repr)
        .def("to_dict", [](const P& p) {
            py::dict d;
            for (const char* k : {"method", "normalization", "group", "ablation_criteria", "ablation_method",
                                  "ablation_threshold", "ablation_x_least", "max_iteration", "convergence_threshold",
                                  "group_assignments", "node_types"})
                d[k] = py::cast(p).attr(k);
            return d;
        }, "Every field as a dict name -> value (enums as their members)");
    m.attr("fibnlr_Parameters") = m.attr("Parameters");  // the upstream name

    // Reading the ratio: `ratio` is a read-only property on both NPR and NNPR.
    // npr.value() (a method) and nnpr.value (an attribute) stay as upstream has them.
    py::class_<NPR, std::shared_ptr<NPR>> npr(m, "NPR", "Negative/positive input mass of a node");
    npr.def(py::init([](double neg, double pos) { return NPR{neg, pos, 0}; }), py::arg("neg") = 0.0, py::arg("pos") = 0.0,
            "An NPR with the given masses (non_finite 0)")
        .def_readwrite("neg", &NPR::neg, "Sum of |x| over the negative input values seen")
        .def_readwrite("pos", &NPR::pos, "Sum of x over the positive input values seen")
        .def_readwrite("non_finite", &NPR::nonFinite, "NaN/Inf input values seen (kept out of neg and pos)")
        .def("add", &NPR::add, py::arg("neg"), py::arg("pos"), "Adds masses of one more batch")
        .def("value", &NPR::value, "(neg + eps) / (pos + eps), eps = DBL_EPSILON (upstream spelling; same as .ratio)")
        .def_property_readonly("ratio", &NPR::value, "(neg + eps) / (pos + eps), eps = DBL_EPSILON: the NPR")
        .def("to_dict", [](const NPR& v) {
            py::dict d;
            d["neg"] = v.neg, d["pos"] = v.pos, d["non_finite"] = v.nonFinite, d["ratio"] = v.value();
            return d;
        }, "The NPR as a dict with keys 'neg', 'pos', 'non_finite' and 'ratio'");
    commonMethods(npr);
    py::class_<NNPR, std::shared_ptr<NNPR>> nnpr(m, "NNPR", "NPR normalised within the node's group");
    nnpr.def(py::init([](double v) { return NNPR{v}; }), py::arg("value") = NNPR{}.value,
             "NaN (the default) means not computed yet")
        .def_readwrite("value", &NNPR::value, "The normalised ratio; NaN until compute (upstream spelling; same as .ratio)")
        .def_property_readonly("ratio", [](const NNPR& v) { return v.value; }, "The normalised ratio; NaN until compute")
        .def("computed", &NNPR::computed, "False while the value is NaN (prepare attaches it so)")
        .def("to_dict", [](const NNPR& v) {
            py::dict d;
            d["ratio"] = v.value;
            return d;
        }, "The NNPR as a dict {'ratio': value}");
    commonMethods(nnpr);
    py::class_<ActivityTracker, std::shared_ptr<ActivityTracker>> tracker(
        m, "ActivityTracker", "Per channel (input dimension 1): True = dead (never > 0)");
    tracker.def(py::init([](std::vector<bool> neurons) { return ActivityTracker{std::move(neurons)}; }),
                py::arg("neurons") = std::vector<bool>{}, "A tracker with one flag per channel (True = dead)")
        .def_readwrite("neurons", &ActivityTracker::neurons, "Per channel: True = dead so far (never > 0)")
        .def("add", [](ActivityTracker& t, const std::vector<bool>& alive) {
            std::vector<std::uint8_t> a(alive.begin(), alive.end());
            t.add(a.data(), a.size());
        }, py::arg("alive"), "Marks channels alive where alive[c] is True")
        .def("is_dead", &ActivityTracker::isDead, py::arg("channel"), "True when `channel` was never > 0")
        .def("count_dead_neurons", &ActivityTracker::countDeadNeurons, "The number of dead channels")
        .def("to_dict", [](const ActivityTracker& t) {
            py::dict d;
            d["neurons"] = t.neurons, d["dead"] = t.countDeadNeurons();
            return d;
        }, "{'neurons': per-channel dead flags, 'dead': their count}");
    commonMethods(tracker);
    py::class_<Group, std::shared_ptr<Group>> group(m, "Group", "The normalisation group of a node");
    group.def(py::init([](std::int64_t id) { return Group{id}; }), py::arg("id") = 0, "The normalisation group numbered `id`")
        .def_readwrite("id", &Group::id, "The group id")
        .def("to_dict", [](const Group& g) {
            py::dict d;
            d["id"] = g.id;
            return d;
        }, "The group as a dict {'id': id}");
    commonMethods(group);

    py_convert::registerBoundAnnotation<NPR>();
    py_convert::registerBoundAnnotation<NNPR>();
    py_convert::registerBoundAnnotation<ActivityTracker>();
    py_convert::registerBoundAnnotation<Group>();
    helpers<NPR>(m, "npr", "NPR");
    helpers<NNPR>(m, "nnpr", "NNPR");
    helpers<ActivityTracker>(m, "activity_tracker", "ActivityTracker");
    helpers<Group>(m, "group", "Group");

    m.def("fibnlr_prepare",
          [](GraphView& g, const P& params) { return inOrder(g.getNodes(), fibnlrPrepare(g, params)); },
          py::arg("graph"), py::arg_v("params", P{}, "Parameters()"),
          "Selects the nodes of params.node_types and attaches NPR, NNPR (NaN), ActivityTracker, Group and a "
          "measuring hook to each.\n\nArgs:\n    graph: the model (compiled first for GroupMethod.IMAGE_SIZE).\n"
          "    params: the Parameters.\n\nReturns:\n    list[Node]: the prepared nodes in graph order.\n\n"
          "Raises:\n    ValueError: invalid parameters, a group_assignments name that is not a selected node, "
          "IMAGE_SIZE on a graph never compiled; the graph is then unchanged.");
    m.def("fibnlr_compute",
          [](GraphView& g, const py::object& data, const P& params) {
              return withData(g, data, [&](auto& source) { return fibnlrCompute(g, source, params); });
          },
          py::arg("graph"), py::arg("provider"), py::arg_v("params", P{}, "Parameters()"),
          "Runs calibration batches through the compiled graph, accumulating NPR and ActivityTracker on every "
          "prepared node, until convergence, max_iteration or the end of the data; then computes NNPR.\n\n"
          "Args:\n    graph: the prepared, compiled model.\n    provider: a DataProvider, or any iterable of numpy "
          "arrays, (x, y) tuples or torch tensors (the first modality is the model input).\n"
          "    params: the Parameters.\n\nReturns:\n    list[float]: the convergence value after each batch.\n\n"
          "Raises:\n    ValueError: invalid parameters, graph not compiled, nothing prepared, no batch, a batch of "
          "the wrong shape (the attributes are then restored). A RuntimeWarning reports NaN/Inf activations.");
    m.def("fibnlr_compute_NNPR",
          [](GraphView& g, const P& params) {
              py::dict out;
              for (const auto& [node, value] : fibnlrComputeNNPR(g, params)) out[py::cast(node)] = value;
              return out;
          },
          py::arg("graph"), py::arg_v("params", P{}, "Parameters()"),
          "Normalises each prepared node's NPR within its group into NNPR and stores it.\n\n"
          "Returns:\n    dict[Node, float]: NNPR per prepared node (empty when nothing is prepared).\n\n"
          "Raises:\n    ValueError: invalid parameters.");
    m.def("fibnlr_prune",
          [](GraphView& g, const P& params) {
              const std::vector<NodePtr> order = g.getNodes();  // before pruning changes the graph
              return inOrder(order, fibnlrPrune(g, params));
          },
          py::arg("graph"), py::arg_v("params", P{}, "Parameters()"),
          "Selects prepared nodes by their stored NNPR (params.ablation_criteria) and replaces them by Identity "
          "or removes them (params.ablation_method).\n\nReturns:\n    list[Node]: the selected nodes in graph "
          "order (the original node objects, which keep their attributes).\n\nRaises:\n    ValueError: a "
          "candidate whose NNPR was never computed (prune before compute), naming it; the graph is then unchanged.");
    m.def("fibnlr",
          [](GraphView& g, const py::object& data, const P& params) {
              const std::vector<NodePtr> order = g.getNodes();
              auto pruned = withData(g, data, [&](auto& source) { return fibnlrRun(g, source, params); });
              return inOrder(order, pruned);
          },
          py::arg("graph"), py::arg("provider"), py::arg_v("params", P{}, "Parameters()"),
          "prepare + compute + prune in one call (arguments as for compute).\n\nReturns:\n    list[Node]: the "
          "pruned nodes in graph order.\n\nRaises:\n    ValueError: as prepare, compute and prune; every node's "
          "attributes are then put back.");
    m.def("fibnlr_find_groups", &fibnlrFindGroups, py::arg("graph"), "The set of Group ids present on the graph's nodes");
    m.def("fibnlr_find_node_by_group",
          [](const GraphView& g, std::int64_t group) { return inOrder(g.getNodes(), fibnlrFindNodeByGroup(g, group)); },
          py::arg("graph"), py::arg("group"), "The nodes whose Group id is `group`, in graph order");
    m.def("fibnlr_prepared_nodes", &fibnlrPreparedNodes, py::arg("graph"),
          "The nodes carrying FIBNLR attributes, in graph (topological) order");

    // Conv helpers (the spatial rank is taken from the node).
    m.def("is_conv", &isConv, py::arg("node"), "True when `node` is a Conv");
    m.def("is_tensor", &isTensor, py::arg("node"), "True when `node` holds a constant tensor (a Producer)");
    m.def("is_child_of", &isChildOf, py::arg("child"), py::arg("parent"), "True when `parent` feeds an input of `child`");
    m.def("get_kernel_dims", [](const NodePtr& n) { return byDim<KernelDimsF>(n); }, py::arg("conv"),
          "The kernel size per spatial axis of a Conv. Raises ValueError for a non-Conv or more than 3 spatial axes.");
    m.def("get_kernel_strides", [](const NodePtr& n) { return byDim<KernelStridesF>(n); }, py::arg("conv"),
          "The stride per spatial axis of a Conv. Raises ValueError for a non-Conv.");
    m.def("in_channels", [](const NodePtr& n) { return byDim<InChannelsF>(n); }, py::arg("conv"),
          "Input channels of a Conv (from its weight). Raises ValueError for a non-Conv.");
    m.def("out_channels", [](const NodePtr& n) { return byDim<OutChannelsF>(n); }, py::arg("conv"),
          "Output channels of a Conv (from its weight). Raises ValueError for a non-Conv.");
    m.def("compute_kernel_dims", [](const NodePtr& a, const NodePtr& b) { return composed(a, b, false); },
          py::arg("a"), py::arg("b"), "The kernel size per axis of Conv a followed by Conv b: e1 + (e2 - 1)*s1");
    m.def("compute_kernel_strides", [](const NodePtr& a, const NodePtr& b) { return composed(a, b, true); },
          py::arg("a"), py::arg("b"), "The stride per axis of Conv a followed by Conv b: s1*s2");
    m.def("conv_from", [](const NodePtr& a, const NodePtr& b) { return convFromImpl(a, b, nbSpatialOf(a)); },
          py::arg("a"), py::arg("b"), "A new Conv node (no weights) equivalent in shape to Conv a followed by Conv b");
}

} // namespace fibnlr::bindings
