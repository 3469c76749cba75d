"""
fibnlr C++ core (private: use the fibnlr package)
"""
from __future__ import annotations
import collections.abc
import numpy
import typing
from . import recipes
from . import kernels
from . import _testing
__all__: list[str] = ['DataProvider', 'DataType', 'Database', 'GraphLock', 'GraphView', 'Node', 'Operator', 'Tensor', 'TensorDatabase', 'activation_types', 'dtype', 'get_kernels', 'get_num_threads', 'kernels', 'make_operator', 'memory_limit', 'operator_types', 'recipes', 'set_kernels', 'set_memory_limit', 'set_num_threads', 'simd_path']
class DataType:
    """
    Element type of a tensor (also reachable as fibnlr.dtype)
    
    Members:
    
      float32 : 32-bit IEEE float: activations and weights
    
      int64 : 64-bit signed integer: indices and shapes
    """
    __members__: typing.ClassVar[dict[str, DataType]]
    float32: typing.ClassVar[DataType]
    int64: typing.ClassVar[DataType]
    @typing.overload
    def __eq__(self, other: DataType) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: DataType) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class Tensor:
    """
    A contiguous n-d array; shares memory with numpy both ways (np.asarray(t))
    """
    def __init__(self, array: typing.Any) -> None:
        """
        Wraps `array` (a C-contiguous float32 or int64 numpy array is shared, anything else copied). Raises TypeError for other element types.
        """
    def __repr__(self) -> str:
        ...
    def dims(self) -> list[int]:
        """
        The shape, a list of ints
        """
    def numpy(self) -> numpy.ndarray:
        """
        A numpy view sharing this tensor's memory
        """
    @property
    def dtype(self) -> DataType:
        """
        The element type (a DataType)
        """
class Operator:
    """
    An operator: type, inputs, typed attributes, shape rule
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, other: Operator) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def attributes(self) -> dict:
        """
        Every attribute as a dict name -> value (int, float, str, list of them, or numpy array)
        """
    def get_attr(self, name: str) -> typing.Any:
        """
        The value of attribute `name`. Raises ValueError when the operator has no such attribute.
        """
    def has_attr(self, name: str) -> bool:
        """
        True when the operator has attribute `name`
        """
    def input_specs(self) -> list:
        """
        (name, category) per input, category 'data', 'param' or 'optional_param'
        """
    def nb_inputs(self) -> int:
        """
        Number of inputs (data and parameters)
        """
    def nb_outputs(self) -> int:
        """
        Number of outputs
        """
    def set_attr(self, name: str, value: typing.Any) -> None:
        """
        Sets attribute `name` to `value` (int, float, str, a list of them or a numpy array). Raises TypeError naming the attribute for any other value.
        """
    def set_value(self, array: typing.Any) -> None:
        """
        Replaces a Producer's tensor with a copy of `array` (any shape). Raises ValueError for any other operator, TypeError for an unsupported element type.
        """
    def type(self) -> str:
        """
        The operator type, e.g. 'Conv' (ONNX spelling, ReLU for Relu)
        """
    def value(self) -> numpy.ndarray:
        """
        A Producer's tensor as a read-only numpy array sharing memory (change it with write_value or set_value). Raises ValueError for any other operator.
        """
    def write_value(self, array: typing.Any) -> None:
        """
        Copies `array` into a Producer's tensor in place (same shape and element type, else ValueError and nothing written); arrays from value() show the new values.
        """
class Node:
    """
    A node: one operator, its links and its annotations
    """
    @staticmethod
    def producer(array: typing.Any, name: str) -> Node:
        """
        A constant node holding `array` (shared, not copied)
        """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, type: str, name: str, attrs: dict = {}, nb_inputs: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        A new unlinked node.
        
        Args:
            type: one of operator_types().
            name: the node name (unique in its graph).
            attrs: attribute name -> value.
            nb_inputs: inputs of a variadic operator; 0 = the type's default.
        
        Raises:
            ValueError: unknown type or invalid attribute (named).
        """
    def __repr__(self) -> str:
        ...
    def add_child(self, child: Node, out_index: typing.SupportsInt | typing.SupportsIndex = 0, in_index: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        Links output `out_index` of this node to input `in_index` of `child`
        """
    def annotation_keys(self) -> list[str]:
        """
        The annotation keys, sorted
        """
    def get_annotation(self, key: str) -> typing.Any:
        """
        The annotation `key` (a live object for NPR, NNPR, ...). Raises KeyError when absent.
        """
    def get_children(self) -> list[Node]:
        """
        The nodes consuming any output of this node
        """
    def get_operator(self) -> Operator:
        """
        The node's Operator (live: set_attr changes the node)
        """
    def get_parameter(self, key: typing.Any) -> numpy.ndarray:
        """
        The Producer tensor on input `key` (name or index) as a read-only numpy array sharing memory: it shows later writes; change it with write_parameter or set_parameter
        """
    def get_parent(self, index: typing.SupportsInt | typing.SupportsIndex) -> Node:
        """
        The node feeding input `index`, or None
        """
    def get_parents(self) -> list[Node]:
        """
        The node feeding each input (None where unconnected), in input order
        """
    def has_annotation(self, key: str) -> bool:
        """
        True when the node has annotation `key`
        """
    def input(self, index: typing.SupportsInt | typing.SupportsIndex) -> tuple[Node, int] | None:
        """
        (parent, output index) feeding input `index`, or None
        """
    def name(self) -> str:
        """
        The node name (the ONNX node name after load_onnx)
        """
    def nb_inputs(self) -> int:
        """
        Number of inputs (data and parameters)
        """
    def nb_outputs(self) -> int:
        """
        Number of outputs
        """
    def output_consumers(self, index: typing.SupportsInt | typing.SupportsIndex = 0) -> list[tuple[Node, int]]:
        """
        (consumer, input index) per consumer of output `index`
        """
    def parameters(self) -> dict:
        """
        Input spec name -> read-only numpy array (shared) for every input fed by a Producer
        """
    def remove_annotation(self, key: str) -> bool:
        """
        Removes annotation `key`; returns whether it was there
        """
    def set_annotation(self, key: str, value: typing.Any) -> None:
        """
        Stores `value` (bool, int, float, str, list of them, numpy array, or a recipe object such as NPR) under `key`, replacing any earlier value. Raises TypeError for other values.
        """
    def set_name(self, name: str) -> None:
        """
        Renames the node
        """
    def set_parameter(self, key: typing.Any, array: typing.Any) -> None:
        """
        Sets the Producer tensor on input `key` to a copy of `array` (any shape); creates the Producer when the input is unconnected (add the node to its graph again to include the new Producer)
        """
    def type(self) -> str:
        """
        The operator type, e.g. 'Conv'
        """
    def unlink_input(self, index: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Disconnects input `index` from its parent
        """
    def write_parameter(self, key: typing.Any, array: typing.Any) -> None:
        """
        Copies `array` into the Producer tensor on input `key` in place (same shape and element type, else ValueError and nothing written): arrays from get_parameter show the new values and compiled plans drop what they derived from the old ones
        """
class GraphView:
    """
    A set of nodes with ordered inputs and outputs
    """
    def __contains__(self, node: Node) -> bool:
        ...
    def __init__(self, name: str = 'graph') -> None:
        """
        An empty graph named `name`
        """
    def __len__(self) -> int:
        """
        Number of nodes
        """
    def __repr__(self) -> str:
        ...
    def add(self, node: Node) -> None:
        """
        Adds a node and the Producers feeding it
        """
    def add_input(self, name: str) -> Node:
        """
        Adds an Input node and appends it to the graph inputs
        """
    def clone(self) -> GraphView:
        """
        Deep copy (new nodes, copied parameters and annotations)
        """
    @typing.overload
    def compile(self, backend: str, datatype: DataType = DataType.float32, dims: collections.abc.Sequence[collections.abc.Sequence[int]] | None = None) -> None:
        """
        The upstream argument order compile(backend, datatype, dims), as compile(dims, backend, datatype) below.
        """
    @typing.overload
    def compile(self, dims: collections.abc.Sequence[collections.abc.Sequence[int]] | None = None, backend: str = 'cpu', datatype: DataType = DataType.float32) -> None:
        """
        Sets the input shapes, infers every shape and allocates the memory plan.
        
        Args:
            dims: one shape (list of ints) per graph input, e.g. [[64, 3, 32, 32]]; it overrides the model file's shapes. None: the shapes the model file declares (load_onnx), which must be fully known.
            backend: 'cpu' (fast kernels, fused epilogues) or 'ref' (reference kernels, one step per node).
            datatype: the element type, DataType.float32 (the only one compute runs in).
        
        Raises:
            ValueError: dims missing while an input's declared shape is unknown, the wrong number of shapes, a zero dim, an unknown backend, or a tensor above memory_limit() (the node is named).
            TypeError: dims that is not a list of lists of ints.
        """
    def compiled_plan(self) -> list[str]:
        """
        One line (str) per step of the compiled plan: the node names it runs (fused with '+') and its kernel. Raises ValueError when the graph is not compiled.
        """
    def forward(self, *args) -> list:
        """
        Runs the compiled graph: one numpy float32 array per graph input; returns a list of arrays. Thread-safe: calls on one graph from several threads run one at a time (the graph's lock), different graphs in parallel. On any error (MemoryError, KeyboardInterrupt, ValueError) the graph is left as before.
        """
    def get_node(self, name: str) -> Node:
        """
        The node named `name`, or None
        """
    def get_nodes(self) -> list[Node]:
        """
        All nodes in topological order
        """
    def get_nodes_by_type(self, type: str) -> list[Node]:
        """
        The nodes of operator type `type`, in topological order
        """
    def inputs(self) -> list[tuple[Node, int]]:
        """
        (Input node, 0) per graph input, in order: the same (node, index) pairs as outputs()
        """
    def lock(self) -> GraphLock:
        """
        `with graph.lock():` holds the graph's lock: forward, compile and the recipes of other threads wait until the block ends. Use it around edits of the graph's nodes (parameters, annotations, links) while other threads may run it. Recursive: the holder may call forward and the recipes itself.
        """
    def name(self) -> str:
        """
        The graph name
        """
    def output_shape(self, node: Node, index: typing.SupportsInt | typing.SupportsIndex = 0) -> list[int]:
        """
        The shape (list of ints) of output `index` of `node` in the compiled graph. Raises ValueError when the graph is not compiled.
        """
    def outputs(self) -> list[tuple[Node, int]]:
        """
        (node, output index) per graph output, in order
        """
    def profile_steps(self, enabled: bool = True) -> None:
        """
        Times every step of the compiled plan in the forwards that follow (enabled=True; two clock reads per step), or stops (False). Either way, clears what was timed. A re-plan (new batch size, changed graph) starts afresh. Raises ValueError when the graph is not compiled.
        """
    def remove(self, node: Node) -> None:
        """
        Removes `node` from the graph (its links stay)
        """
    def replace(self, old_nodes: collections.abc.Iterable, new_nodes: collections.abc.Iterable) -> None:
        """
        Replaces old_nodes by new_nodes, rewiring inputs and outputs in order (see the C++ doc); all or nothing
        """
    def set_inputs(self, inputs: collections.abc.Iterable) -> None:
        """
        Sets the graph inputs: Input nodes or (node, 0) pairs as inputs() returns, in order
        """
    def set_outputs(self, outputs: collections.abc.Iterable) -> None:
        """
        Nodes or (node, output index) tuples
        """
    def step_times(self) -> list[tuple[str, float]]:
        """
        (compiled_plan() line, mean seconds per timed forward) for every step, in plan order. Raises ValueError when the graph is not compiled or no forward was timed since profile_steps().
        """
    def touch(self) -> None:
        """
        Marks the graph changed so the next forward recompiles
        """
class Database:
    """
    A random-access set of items. Subclass it in Python and implement get_item(index) -> list of arrays (one per modality), len() and get_nb_modalities(); call Database.__init__(self).
    """
    def __init__(self) -> None:
        """
        Initialises the C++ side; a Python subclass's __init__ must call it
        """
    def __len__(self) -> int:
        """
        The number of items
        """
    def get_item(self, index: typing.SupportsInt | typing.SupportsIndex) -> list:
        """
        Item `index`: a list of numpy arrays, one per modality
        """
    def get_nb_modalities(self) -> int:
        """
        The number of modalities (arrays per item)
        """
    def len(self) -> int:
        """
        The number of items
        """
class TensorDatabase(Database):
    """
    In-memory Database over whole arrays, one per modality, sharing their first (item) axis. float32 and int64 arrays are shared (zero copy); other number types are converted once.
    """
    def __init__(self, *args) -> None:
        """
        TensorDatabase(*arrays): one array per modality, all with the same first (item) axis. Raises ValueError when the first axes differ, TypeError for a non-number array.
        """
    def modality(self, index: typing.SupportsInt | typing.SupportsIndex) -> numpy.ndarray:
        """
        The array of modality `index` (shared memory)
        """
class DataProvider:
    """
    Reads a Database in batches (a list of arrays per batch, batch axis first). Iterating starts a new epoch; the last batch is partial unless drop_last; shuffle is reproducible with a seed.
    """
    def __init__(self, database: Database, batch_size: typing.SupportsInt | typing.SupportsIndex, shuffle: bool = False, drop_last: bool = False, seed: typing.SupportsInt | typing.SupportsIndex | None = None, nb_threads: typing.SupportsInt | typing.SupportsIndex = 2) -> None:
        """
        Args:
            database: the Database to read.
            batch_size: items per batch (> 0).
            shuffle: read the items in a new random order each epoch.
            drop_last: leave out the last partial batch.
            seed: shuffle seed (None: random).
            nb_threads: loader threads.
        
        Raises:
            ValueError: batch_size 0.
        """
    def __iter__(self) -> DataProvider:
        """
        Starts a new epoch and returns the provider (an iterator of batches)
        """
    def __len__(self) -> int:
        """
        Batches per epoch
        """
    def __next__(self) -> list:
        """
        The next batch (list of arrays, one per modality); StopIteration at the end of the epoch
        """
    def __repr__(self) -> str:
        ...
    def done(self) -> bool:
        """
        True when the current epoch has no batch left
        """
    def read_batch(self) -> typing.Any:
        """
        The next batch of the current epoch, or None when done
        """
    def reset_epoch(self) -> None:
        """
        Starts a new epoch (reshuffles when shuffle)
        """
    @property
    def batch_size(self) -> int:
        """
        Items per batch
        """
class GraphLock:
    """
    Context manager holding a graph's lock (graph.lock())
    """
    def __enter__(self) -> GraphView:
        ...
    def __exit__(self, *args) -> bool:
        ...
def activation_types() -> list[str]:
    """
    The element-wise activation types (ReLU, ReLU6, ...), in list order, as a list of names; FIBNLR can measure each
    """
def get_kernels() -> str:
    """
    The kernel mode set by set_kernels: 'cpu', 'cpu-avx2', 'cpu-generic' or 'ref'
    """
def get_num_threads() -> int:
    """
    The number of threads the kernels use now
    """
def make_operator(type: str, attrs: dict = {}, nb_inputs: typing.SupportsInt | typing.SupportsIndex = 0) -> Operator:
    """
    A new Operator.
    
    Args:
        type: one of operator_types().
        attrs: attribute name -> value.
        nb_inputs: number of inputs for variadic operators (Concat, Sum, ...); 0 = the type's default.
    
    Raises:
        ValueError: unknown type or invalid attribute (named).
    """
def memory_limit() -> int:
    """
    The number of bytes no tensor and no compiled memory plan may exceed.
    
    Returns:
        int: the limit in bytes (default half the physical memory). compile and load_onnx raise ValueError naming the node when a tensor or plan would exceed it.
    """
def operator_types() -> list[str]:
    """
    Every operator type the core knows, as a list of names
    """
def set_kernels(mode: str) -> None:
    """
    'cpu' (fast kernels, widest SIMD path: AVX-512, AVX2 or plain; default), 'cpu-avx2' (at most AVX2), 'cpu-generic' (no AVX2) or 'ref' (reference kernels everywhere). Also settable with the environment variable FIBNLR_KERNELS. Compiled graphs re-plan at their next forward. Raises ValueError for another mode.
    """
def set_memory_limit(nbytes: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Sets the memory limit.
    
    Args:
        nbytes: the new limit in bytes (default: half the physical memory).
    """
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Threads for fibnlr's kernels and its OpenBLAS (one shared pool; idle threads spin up to FIBNLR_SPIN_US, default 300 µs, then sleep). 0 restores the default: FIBNLR_NUM_THREADS, else the number of cores.
    """
def simd_path() -> str:
    """
    The SIMD path the fast kernels use now: 'avx512', 'avx2' or 'generic'.
    """
dtype = DataType
