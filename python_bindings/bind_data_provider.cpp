// Database, TensorDatabase and DataProvider. A Python subclass of Database
// is called from the provider's loader threads: its get_item takes the GIL,
// so every caller that may run the provider releases it first.
#include "Convert.hpp"
#include "fibnlr/data/DataProvider.hpp"
#include "fibnlr/data/TensorDatabase.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

/// numpy array (or array-like) -> Tensor: float32 and int64 are shared; other
/// floating types are converted to float32, integer and bool types to int64.
Tensor itemTensor(const py::handle& obj, const std::string& what) {
    py::module_ np = py::module_::import("numpy");
    py::object arr = np.attr("asarray")(obj);
    const char kind = arr.attr("dtype").attr("kind").cast<std::string>()[0];
    if (kind == 'f') arr = np.attr("ascontiguousarray")(arr, np.attr("float32"));
    else if (kind == 'i' || kind == 'u' || kind == 'b') arr = np.attr("ascontiguousarray")(arr, np.attr("int64"));
    else
        throw py::type_error(what + ": dtype " + std::string(py::str(arr.attr("dtype"))) +
                             " is not supported; expected a number type");
    if (py::cast<py::array>(arr).ndim() == 0) arr = arr.attr("reshape")(1);
    return py_convert::toTensor(arr, what);
}

class PyDatabase : public Database, public py::trampoline_self_life_support {
public:
    std::vector<Tensor> getItem(std::size_t index) const override {
        py::gil_scoped_acquire gil;
        py::function f = py::get_override(static_cast<const Database*>(this), "get_item");
        if (!f) throw std::invalid_argument("Database subclass does not implement get_item(index)");
        py::object item = f(index);
        std::vector<Tensor> out;
        if (py::isinstance<py::list>(item) || py::isinstance<py::tuple>(item)) {
            std::size_t m = 0;
            for (auto x : item) out.push_back(itemTensor(x, "Database.get_item(" + std::to_string(index) + ")[" + std::to_string(m++) + "]"));
        } else {
            out.push_back(itemTensor(item, "Database.get_item(" + std::to_string(index) + ")"));
        }
        return out;
    }
    std::size_t len() const override {
        py::gil_scoped_acquire gil;
        py::function f = py::get_override(static_cast<const Database*>(this), "len");
        if (!f) throw std::invalid_argument("Database subclass does not implement len()");
        return f().cast<std::size_t>();
    }
    std::size_t getNbModalities() const override {
        py::gil_scoped_acquire gil;
        py::function f = py::get_override(static_cast<const Database*>(this), "get_nb_modalities");
        if (!f) throw std::invalid_argument("Database subclass does not implement get_nb_modalities()");
        return f().cast<std::size_t>();
    }
};

py::list toList(const std::vector<Tensor>& ts) {
    py::list out;
    for (const Tensor& t : ts) out.append(py_convert::toNumpy(t));
    return out;
}

} // namespace

void bindDataProvider(py::module_& m) {
    py::class_<Database, PyDatabase, py::smart_holder>(
        m, "Database",
        "A random-access set of items. Subclass it in Python and implement get_item(index) -> list of arrays "
        "(one per modality), len() and get_nb_modalities(); call Database.__init__(self).")
        .def(py::init<>(), "Initialises the C++ side; a Python subclass's __init__ must call it")
        .def("get_item", [](const Database& db, std::size_t i) {
            std::vector<Tensor> item;
            {
                py::gil_scoped_release release;
                item = db.getItem(i);
            }
            return toList(item);
        }, py::arg("index"), "Item `index`: a list of numpy arrays, one per modality")
        .def("len", &Database::len, "The number of items")
        .def("get_nb_modalities", &Database::getNbModalities, "The number of modalities (arrays per item)")
        .def("__len__", &Database::len, "The number of items");

    py::class_<TensorDatabase, Database, py::smart_holder>(
        m, "TensorDatabase",
        "In-memory Database over whole arrays, one per modality, sharing their first (item) axis. float32 and "
        "int64 arrays are shared (zero copy); other number types are converted once.")
        .def(py::init([](py::args arrays) {
            std::vector<Tensor> ts;
            for (std::size_t i = 0; i < arrays.size(); ++i)
                ts.push_back(itemTensor(arrays[i], "TensorDatabase modality " + std::to_string(i)));
            return std::make_shared<TensorDatabase>(std::move(ts));
        }), "TensorDatabase(*arrays): one array per modality, all with the same first (item) axis. Raises "
            "ValueError when the first axes differ, TypeError for a non-number array.")
        .def("modality", [](const TensorDatabase& db, std::size_t i) {
            if (i >= db.getNbModalities()) throw py::index_error("TensorDatabase has " + std::to_string(db.getNbModalities()) + " modalities");
            return py_convert::toNumpy(db.modalities()[i]);
        }, py::arg("index"), "The array of modality `index` (shared memory)");

    py::class_<DataProvider, std::shared_ptr<DataProvider>>(
        m, "DataProvider",
        "Reads a Database in batches (a list of arrays per batch, batch axis first). Iterating starts a new "
        "epoch; the last batch is partial unless drop_last; shuffle is reproducible with a seed.")
        .def(py::init([](std::shared_ptr<Database> db, std::size_t batchSize, bool shuffle, bool dropLast,
                         std::optional<std::uint64_t> seed, std::size_t nbThreads) {
                 return std::make_shared<DataProvider>(std::move(db), batchSize, shuffle, dropLast, seed, nbThreads);
             }),
             py::arg("database"), py::arg("batch_size"), py::arg("shuffle") = false, py::arg("drop_last") = false,
             py::arg("seed") = py::none(), py::arg("nb_threads") = 2, py::keep_alive<1, 2>(),
             "Args:\n    database: the Database to read.\n    batch_size: items per batch (> 0).\n"
             "    shuffle: read the items in a new random order each epoch.\n"
             "    drop_last: leave out the last partial batch.\n    seed: shuffle seed (None: random).\n"
             "    nb_threads: loader threads.\n\nRaises:\n    ValueError: batch_size 0.")
        .def("__iter__", [](DataProvider& p) -> DataProvider& {
            p.resetEpoch();
            return p;
        }, "Starts a new epoch and returns the provider (an iterator of batches)")
        .def("__next__", [](DataProvider& p) {
            std::vector<Tensor> batch;
            {
                py::gil_scoped_release release;  // loader threads may need the GIL
                batch = p.readBatch();
            }
            if (batch.empty()) throw py::stop_iteration();
            return toList(batch);
        }, "The next batch (list of arrays, one per modality); StopIteration at the end of the epoch")
        .def("read_batch", [](DataProvider& p) -> py::object {
            std::vector<Tensor> batch;
            {
                py::gil_scoped_release release;
                batch = p.readBatch();
            }
            if (batch.empty()) return py::none();
            return toList(batch);
        }, "The next batch of the current epoch, or None when done")
        .def("reset_epoch", &DataProvider::resetEpoch, "Starts a new epoch (reshuffles when shuffle)")
        .def("done", &DataProvider::done, "True when the current epoch has no batch left")
        .def("__len__", &DataProvider::nbBatches, "Batches per epoch")
        .def_property_readonly("batch_size", &DataProvider::batchSize, "Items per batch")
        .def("__repr__", [](const DataProvider& p) {
            return "DataProvider(" + std::to_string(p.nbItems()) + " items, batch_size=" +
                   std::to_string(p.batchSize()) + ", " + std::to_string(p.nbBatches()) + " batches)";
        });
}

} // namespace fibnlr::bindings
