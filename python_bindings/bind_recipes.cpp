// The FIBNLR recipe under its upstream names, in the submodule fibnlr._core.recipes.
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
    c.def("__eq__", [](const T& a, const py::object& b) { return py::isinstance<T>(b) && a == b.cast<const T&>(); })
        .def("__ne__", [](const T& a, const py::object& b) { return !(py::isinstance<T>(b) && a == b.cast<const T&>()); })
        .def("__lt__", [](const T& a, const T& b) { return a < b; })
        .def("__le__", [](const T& a, const T& b) { return !(b < a); })
        .def("__gt__", [](const T& a, const T& b) { return b < a; })
        .def("__ge__", [](const T& a, const T& b) { return !(a < b); })
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
    m.def(("fibnlr_has_" + x).c_str(), [](const NodePtr& n) { return has<T>(*n); }, py::arg("node"));
    m.def(("fibnlr_get_" + x).c_str(), [](const NodePtr& n) {
        get<T>(*n);  // throws ValueError naming the node when absent
        return n->annotations().tryGetShared<T>(T::key);
    }, py::arg("node"), ("The " + typeName + " of `node`, a live reference: changes are seen by C++").c_str());
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
          py::arg("value"));
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
        "The FIBNLR recipe under its upstream names (fibnlr_prepare, fibnlr_compute, fibnlr_compute_NNPR, "
        "fibnlr_prune, fibnlr, fibnlr_Parameters) and clean aliases (prepare, compute, compute_nnpr, prune, run, "
        "Parameters)");

    py::enum_<Method> methodEnum(m, "Method", "Group of one node: STRICT gives NNPR 1.0, LOOSE keeps the raw value");
    methodEnum.value("STRICT", Method::Strict).value("LOOSE", Method::Loose);
    strictInit(methodEnum);
    py::enum_<NormalizationMethod> normEnum(m, "NormalizationMethod");
    normEnum.value("NONE", NormalizationMethod::None)
        .value("MIN_MAX", NormalizationMethod::MinMax)
        .value("SUM", NormalizationMethod::Sum)
        .value("AVERAGE", NormalizationMethod::Average);
    strictInit(normEnum);
    py::enum_<GroupMethod> groupEnum(m, "GroupMethod");
    groupEnum.value("NONE", GroupMethod::None).value("IMAGE_SIZE", GroupMethod::ImageSize).value("MANUAL", GroupMethod::Manual);
    strictInit(groupEnum);
    py::enum_<AblationCriteria> criteriaEnum(m, "AblationCriteria");
    criteriaEnum.value("NONE", AblationCriteria::None)
        .value("X_LEAST_PER_GROUP", AblationCriteria::XLeastPerGroup)
        .value("THRESHOLD", AblationCriteria::Threshold);
    strictInit(criteriaEnum);
    py::enum_<AblationMethod> ablationEnum(m, "AblationMethod");
    ablationEnum.value("NONE", AblationMethod::None)
        .value("IDENTITY", AblationMethod::Identity)
        .value("REMOVE", AblationMethod::Remove);
    strictInit(ablationEnum);

    using P = FIBNLRParameters;
    py::class_<P>(m, "fibnlr_Parameters",
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
             py::arg("node_types") = py::none())
        .def_readwrite("method", &P::method)
        .def_readwrite("normalization", &P::normalization)
        .def_readwrite("group", &P::group)
        .def_readwrite("ablation_criteria", &P::ablationCriteria)
        .def_readwrite("ablation_method", &P::ablationMethod)
        .def_readwrite("ablation_threshold", &P::ablationThreshold)
        .def_readwrite("ablation_x_least", &P::ablationXLeast)
        .def_readwrite("max_iteration", &P::maxIteration, "Batches at most; 0 = no limit")
        .def_readwrite("convergence_threshold", &P::convergenceThreshold)
        .def_readwrite("group_assignments", &P::groupAssignments, "node name -> group id (GroupMethod.MANUAL)")
        .def_readwrite("node_types", &P::nodeTypes, "Operator types prepare selects (default ReLU, ReLU6, LeakyReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Softplus)")
        .def_static("paper", &P::paper,
                    "Loose, Average, Manual, criteria NONE, Identity (as upstream). With criteria NONE nothing is "
                    "selected, so on its own it prunes nothing: set ablation_criteria (and group_assignments).")
        .def_static("none", &P::none, "Strict, normalisation NONE, group NONE, criteria NONE, ablation NONE")
        .def("validate", &P::validate, "Raises ValueError for an invalid value")
        .def("__eq__", [](const P& a, const P& b) { return a == b; })
        .def("__repr__", &P::repr);
    m.attr("Parameters") = m.attr("fibnlr_Parameters");

    py::class_<NPR, std::shared_ptr<NPR>> npr(m, "NPR", "Negative/positive input mass of a node");
    npr.def(py::init([](double neg, double pos) { return NPR{neg, pos, 0}; }), py::arg("neg") = 0.0, py::arg("pos") = 0.0)
        .def_readwrite("neg", &NPR::neg)
        .def_readwrite("pos", &NPR::pos)
        .def_readwrite("non_finite", &NPR::nonFinite, "NaN/Inf input values seen (kept out of neg and pos)")
        .def("add", &NPR::add, py::arg("neg"), py::arg("pos"))
        .def("value", &NPR::value, "(neg + eps) / (pos + eps), eps = DBL_EPSILON");
    commonMethods(npr);
    py::class_<NNPR, std::shared_ptr<NNPR>> nnpr(m, "NNPR", "NPR normalised within the node's group");
    nnpr.def(py::init([](double v) { return NNPR{v}; }), py::arg("value") = NNPR{}.value,
             "NaN (the default) means not computed yet")
        .def_readwrite("value", &NNPR::value)
        .def("computed", &NNPR::computed, "False while the value is NaN (prepare attaches it so)");
    commonMethods(nnpr);
    py::class_<ActivityTracker, std::shared_ptr<ActivityTracker>> tracker(
        m, "ActivityTracker", "Per channel (input dimension 1): True = dead (never > 0)");
    tracker.def(py::init([](std::vector<bool> neurons) { return ActivityTracker{std::move(neurons)}; }),
                py::arg("neurons") = std::vector<bool>{})
        .def_readwrite("neurons", &ActivityTracker::neurons)
        .def("add", [](ActivityTracker& t, const std::vector<bool>& alive) {
            std::vector<std::uint8_t> a(alive.begin(), alive.end());
            t.add(a.data(), a.size());
        }, py::arg("alive"), "Marks channels alive where alive[c] is True")
        .def("is_dead", &ActivityTracker::isDead, py::arg("channel"))
        .def("count_dead_neurons", &ActivityTracker::countDeadNeurons);
    commonMethods(tracker);
    py::class_<Group, std::shared_ptr<Group>> group(m, "Group", "The normalisation group of a node");
    group.def(py::init([](std::int64_t id) { return Group{id}; }), py::arg("id") = 0).def_readwrite("id", &Group::id);
    commonMethods(group);

    py_convert::registerBoundAnnotation<NPR>();
    py_convert::registerBoundAnnotation<NNPR>();
    py_convert::registerBoundAnnotation<ActivityTracker>();
    py_convert::registerBoundAnnotation<Group>();
    helpers<NPR>(m, "npr", "NPR");
    helpers<NNPR>(m, "nnpr", "NNPR");
    helpers<ActivityTracker>(m, "activity_tracker", "ActivityTracker");
    helpers<Group>(m, "group", "Group");

    m.def("fibnlr_prepare", &fibnlrPrepare, py::arg("graph"), py::arg("params") = P{},
          "Selects the nodes of params.node_types, attaches NPR, NNPR, ActivityTracker, Group and a measuring "
          "hook; returns the set of prepared nodes");
    m.def("fibnlr_compute",
          [](GraphView& g, const py::object& data, const P& params) {
              return withData(g, data, [&](auto& source) { return fibnlrCompute(g, source, params); });
          },
          py::arg("graph"), py::arg("provider"), py::arg("params") = P{},
          "Runs calibration batches (a DataProvider, or any iterable of numpy arrays, (x, y) tuples or torch "
          "tensors; the first modality is the model input) until convergence, max_iteration or the end of the "
          "data; computes NNPR; returns the convergence values");
    m.def("fibnlr_compute_NNPR", &fibnlrComputeNNPR, py::arg("graph"), py::arg("params") = P{},
          "Normalises NPR within groups into NNPR; returns {node: NNPR}");
    m.def("fibnlr_prune", &fibnlrPrune, py::arg("graph"), py::arg("params") = P{},
          "Selects nodes by stored NNPR and replaces (Identity) or removes them; returns the selected nodes");
    m.def("fibnlr",
          [](GraphView& g, const py::object& data, const P& params) {
              return withData(g, data, [&](auto& source) { return fibnlrRun(g, source, params); });
          },
          py::arg("graph"), py::arg("provider"), py::arg("params") = P{},
          "prepare + compute + prune in one call; returns the pruned nodes");
    m.def("fibnlr_find_groups", &fibnlrFindGroups, py::arg("graph"));
    m.def("fibnlr_find_node_by_group", &fibnlrFindNodeByGroup, py::arg("graph"), py::arg("group"));
    m.def("fibnlr_prepared_nodes", &fibnlrPreparedNodes, py::arg("graph"), "Prepared nodes in topological order");
    for (auto [alias, name] : {std::pair{"prepare", "fibnlr_prepare"}, {"compute", "fibnlr_compute"},
                               {"compute_nnpr", "fibnlr_compute_NNPR"}, {"prune", "fibnlr_prune"}, {"run", "fibnlr"},
                               {"find_groups", "fibnlr_find_groups"}, {"find_node_by_group", "fibnlr_find_node_by_group"},
                               {"prepared_nodes", "fibnlr_prepared_nodes"}})
        m.attr(alias) = m.attr(name);

    // Conv helpers (the spatial rank is taken from the node).
    m.def("is_conv", &isConv, py::arg("node"));
    m.def("is_tensor", &isTensor, py::arg("node"));
    m.def("is_child_of", &isChildOf, py::arg("child"), py::arg("parent"));
    m.def("get_kernel_dims", [](const NodePtr& n) { return byDim<KernelDimsF>(n); }, py::arg("conv"));
    m.def("get_kernel_strides", [](const NodePtr& n) { return byDim<KernelStridesF>(n); }, py::arg("conv"));
    m.def("in_channels", [](const NodePtr& n) { return byDim<InChannelsF>(n); }, py::arg("conv"));
    m.def("out_channels", [](const NodePtr& n) { return byDim<OutChannelsF>(n); }, py::arg("conv"));
    m.def("compute_kernel_dims", [](const NodePtr& a, const NodePtr& b) { return composed(a, b, false); },
          py::arg("a"), py::arg("b"), "Kernel of a then b: e1 + (e2 - 1)·s1 per axis");
    m.def("compute_kernel_strides", [](const NodePtr& a, const NodePtr& b) { return composed(a, b, true); },
          py::arg("a"), py::arg("b"));
    m.def("conv_from", [](const NodePtr& a, const NodePtr& b) { return convFromImpl(a, b, nbSpatialOf(a)); },
          py::arg("a"), py::arg("b"), "A new Conv node (no weights) for a then b");
}

} // namespace fibnlr::bindings
