"""
Compiled recipes (private: use fibnlr.recipes, which gives them their clean names)
"""
from __future__ import annotations
import collections.abc
import typing
__all__: list[str] = ['AblationCriteria', 'AblationMethod', 'ActivityTracker', 'BatchNormFold', 'Group', 'GroupMethod', 'LayerCost', 'MergeRecord', 'MergeResult', 'Method', 'NNPR', 'NPR', 'NormalizationMethod', 'Parameters', 'ResidualFold', 'SimplifyResult', 'compute_kernel_dims', 'compute_kernel_strides', 'conv_from', 'fibnlr', 'fibnlr_Parameters', 'fibnlr_add_activity_tracker', 'fibnlr_add_group', 'fibnlr_add_nnpr', 'fibnlr_add_npr', 'fibnlr_compute', 'fibnlr_compute_NNPR', 'fibnlr_find_groups', 'fibnlr_find_node_by_group', 'fibnlr_get_activity_tracker', 'fibnlr_get_group', 'fibnlr_get_nnpr', 'fibnlr_get_npr', 'fibnlr_has_activity_tracker', 'fibnlr_has_group', 'fibnlr_has_nnpr', 'fibnlr_has_npr', 'fibnlr_prepare', 'fibnlr_prepared_nodes', 'fibnlr_prune', 'fibnlr_set_activity_tracker', 'fibnlr_set_group', 'fibnlr_set_nnpr', 'fibnlr_set_npr', 'fibnlr_try_get_activity_tracker', 'fibnlr_try_get_group', 'fibnlr_try_get_nnpr', 'fibnlr_try_get_npr', 'fold_batchnorm', 'fold_residual', 'get_kernel_dims', 'get_kernel_strides', 'in_channels', 'is_child_of', 'is_conv', 'is_tensor', 'layer_costs', 'merge_convolutions', 'out_channels', 'remove_identity', 'simplify']
class Method:
    """
    Group of one node: STRICT gives NNPR 1.0, LOOSE keeps the raw value
    
    Members:
    
      STRICT : a group of one node gets NNPR 1.0
    
      LOOSE : a group of one node keeps its raw normalised value
    """
    LOOSE: typing.ClassVar[Method]
    STRICT: typing.ClassVar[Method]
    __members__: typing.ClassVar[dict[str, Method]]
    @typing.overload
    def __eq__(self, other: Method) -> bool:
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
        """
        The member whose value is `value`; ValueError for any other integer
        """
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: Method) -> bool:
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
class NormalizationMethod:
    """
    How NPR is normalised into NNPR within a group
    
    Members:
    
      NONE : NNPR = NPR
    
      MIN_MAX : (v - min) / (max - min)
    
      SUM : (v + eps) / (sum + eps)
    
      AVERAGE : (v + eps) / (mean + eps)
    """
    AVERAGE: typing.ClassVar[NormalizationMethod]
    MIN_MAX: typing.ClassVar[NormalizationMethod]
    NONE: typing.ClassVar[NormalizationMethod]
    SUM: typing.ClassVar[NormalizationMethod]
    __members__: typing.ClassVar[dict[str, NormalizationMethod]]
    @typing.overload
    def __eq__(self, other: NormalizationMethod) -> bool:
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
        """
        The member whose value is `value`; ValueError for any other integer
        """
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: NormalizationMethod) -> bool:
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
class GroupMethod:
    """
    How nodes are grouped for normalisation
    
    Members:
    
      NONE : every node in group 0
    
      IMAGE_SIZE : by H*W of the node's input (needs a compiled graph)
    
      MANUAL : by Parameters.group_assignments (node name -> id)
    """
    IMAGE_SIZE: typing.ClassVar[GroupMethod]
    MANUAL: typing.ClassVar[GroupMethod]
    NONE: typing.ClassVar[GroupMethod]
    __members__: typing.ClassVar[dict[str, GroupMethod]]
    @typing.overload
    def __eq__(self, other: GroupMethod) -> bool:
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
        """
        The member whose value is `value`; ValueError for any other integer
        """
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: GroupMethod) -> bool:
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
class AblationCriteria:
    """
    Which nodes prune selects
    
    Members:
    
      NONE : none
    
      X_LEAST_PER_GROUP : in each group the ablation_x_least lowest NNPR below ablation_threshold
    
      THRESHOLD : every node with NNPR < ablation_threshold
    """
    NONE: typing.ClassVar[AblationCriteria]
    THRESHOLD: typing.ClassVar[AblationCriteria]
    X_LEAST_PER_GROUP: typing.ClassVar[AblationCriteria]
    __members__: typing.ClassVar[dict[str, AblationCriteria]]
    @typing.overload
    def __eq__(self, other: AblationCriteria) -> bool:
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
        """
        The member whose value is `value`; ValueError for any other integer
        """
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: AblationCriteria) -> bool:
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
class AblationMethod:
    """
    What prune does to the selected nodes
    
    Members:
    
      NONE : nothing (selection only)
    
      IDENTITY : replaced by an Identity node of the same name
    
      REMOVE : removed, their consumers fed by their input
    """
    IDENTITY: typing.ClassVar[AblationMethod]
    NONE: typing.ClassVar[AblationMethod]
    REMOVE: typing.ClassVar[AblationMethod]
    __members__: typing.ClassVar[dict[str, AblationMethod]]
    @typing.overload
    def __eq__(self, other: AblationMethod) -> bool:
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
        """
        The member whose value is `value`; ValueError for any other integer
        """
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: AblationMethod) -> bool:
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
class Parameters:
    """
    FIBNLR parameters (defaults as upstream, except node_types: every rectifier-like activation). node_types: the operator types prepare selects, in any case ('Relu' is 'ReLU') (assign a new list, e.g. p.node_types = p.node_types + ['Tanh']; in-place list methods act on a copy).
    """
    __hash__: typing.ClassVar[None] = None
    @staticmethod
    def none() -> Parameters:
        """
        Strict, normalisation NONE, group NONE, criteria NONE, ablation NONE
        """
    @staticmethod
    def paper() -> Parameters:
        """
        Loose, Average, Manual, criteria NONE, Identity (as upstream). With criteria NONE nothing is selected, so on its own it prunes nothing: set ablation_criteria (and group_assignments).
        """
    def __eq__(self, other: Parameters) -> bool:
        ...
    def __init__(self, *, method: Method = Method.STRICT, normalization: NormalizationMethod = NormalizationMethod.SUM, group: GroupMethod = GroupMethod.IMAGE_SIZE, ablation_criteria: AblationCriteria = AblationCriteria.THRESHOLD, ablation_method: AblationMethod = AblationMethod.IDENTITY, ablation_threshold: typing.SupportsFloat | typing.SupportsIndex = 0.25, ablation_x_least: typing.SupportsInt | typing.SupportsIndex = 1, max_iteration: typing.SupportsInt | typing.SupportsIndex = 100, convergence_threshold: typing.SupportsFloat | typing.SupportsIndex = 1e-05, group_assignments: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex] = {}, node_types: collections.abc.Sequence[str] | None = None) -> None:
        """
        Every field by keyword (see the attributes); node_types None: every rectifier-like activation. Values are checked by validate() and by each recipe (ValueError naming the field).
        """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict name -> value (enums as their members)
        """
    def validate(self) -> None:
        """
        Raises ValueError for an invalid value
        """
    @property
    def ablation_criteria(self) -> AblationCriteria:
        """
        AblationCriteria: which nodes prune selects
        """
    @ablation_criteria.setter
    def ablation_criteria(self, arg0: AblationCriteria) -> None:
        ...
    @property
    def ablation_method(self) -> AblationMethod:
        """
        AblationMethod: what prune does to them
        """
    @ablation_method.setter
    def ablation_method(self, arg0: AblationMethod) -> None:
        ...
    @property
    def ablation_threshold(self) -> float:
        """
        NNPR below which a node may be selected
        """
    @ablation_threshold.setter
    def ablation_threshold(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def ablation_x_least(self) -> int:
        """
        X of X_LEAST_PER_GROUP: nodes selected per group
        """
    @ablation_x_least.setter
    def ablation_x_least(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def convergence_threshold(self) -> float:
        """
        compute stops when the convergence value (sum of squared NPR changes) falls below it
        """
    @convergence_threshold.setter
    def convergence_threshold(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def group(self) -> GroupMethod:
        """
        GroupMethod: how nodes are grouped
        """
    @group.setter
    def group(self, arg0: GroupMethod) -> None:
        ...
    @property
    def group_assignments(self) -> dict[str, int]:
        """
        node name -> group id (GroupMethod.MANUAL)
        """
    @group_assignments.setter
    def group_assignments(self, arg0: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def max_iteration(self) -> int:
        """
        compute reads at most this many batches; 0 = no limit
        """
    @max_iteration.setter
    def max_iteration(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def method(self) -> Method:
        """
        Method for groups of one node (STRICT or LOOSE)
        """
    @method.setter
    def method(self, arg0: Method) -> None:
        ...
    @property
    def node_types(self) -> list[str]:
        """
        Operator types prepare selects (default ReLU, ReLU6, LeakyReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Softplus)
        """
    @node_types.setter
    def node_types(self, arg0: collections.abc.Sequence[str]) -> None:
        ...
    @property
    def normalization(self) -> NormalizationMethod:
        """
        NormalizationMethod of NPR into NNPR
        """
    @normalization.setter
    def normalization(self, arg0: NormalizationMethod) -> None:
        ...
class NPR:
    """
    Negative/positive input mass of a node
    """
    def __copy__(self) -> NPR:
        ...
    def __deepcopy__(self, memo: dict) -> NPR:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, other: NPR) -> bool:
        ...
    def __gt__(self, other: NPR) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, neg: typing.SupportsFloat | typing.SupportsIndex = 0.0, pos: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> None:
        """
        An NPR with the given masses (non_finite 0)
        """
    def __le__(self, other: NPR) -> bool:
        ...
    def __lt__(self, other: NPR) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def add(self, neg: typing.SupportsFloat | typing.SupportsIndex, pos: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Adds masses of one more batch
        """
    def to_dict(self) -> dict:
        """
        The NPR as a dict with keys 'neg', 'pos', 'non_finite' and 'ratio'
        """
    def value(self) -> float:
        """
        (neg + eps) / (pos + eps), eps = DBL_EPSILON (upstream spelling; same as .ratio)
        """
    @property
    def neg(self) -> float:
        """
        Sum of |x| over the negative input values seen
        """
    @neg.setter
    def neg(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def non_finite(self) -> int:
        """
        NaN/Inf input values seen (kept out of neg and pos)
        """
    @non_finite.setter
    def non_finite(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def pos(self) -> float:
        """
        Sum of x over the positive input values seen
        """
    @pos.setter
    def pos(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def ratio(self) -> float:
        """
        (neg + eps) / (pos + eps), eps = DBL_EPSILON: the NPR
        """
class NNPR:
    """
    NPR normalised within the node's group
    """
    def __copy__(self) -> NNPR:
        ...
    def __deepcopy__(self, memo: dict) -> NNPR:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, other: NNPR) -> bool:
        ...
    def __gt__(self, other: NNPR) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsFloat | typing.SupportsIndex = ...) -> None:
        """
        NaN (the default) means not computed yet
        """
    def __le__(self, other: NNPR) -> bool:
        ...
    def __lt__(self, other: NNPR) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def computed(self) -> bool:
        """
        False while the value is NaN (prepare attaches it so)
        """
    def to_dict(self) -> dict:
        """
        The NNPR as a dict {'ratio': value}
        """
    @property
    def ratio(self) -> float:
        """
        The normalised ratio; NaN until compute
        """
    @property
    def value(self) -> float:
        """
        The normalised ratio; NaN until compute (upstream spelling; same as .ratio)
        """
    @value.setter
    def value(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class ActivityTracker:
    """
    Per channel (input dimension 1): True = dead (never > 0)
    """
    def __copy__(self) -> ActivityTracker:
        ...
    def __deepcopy__(self, memo: dict) -> ActivityTracker:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, other: ActivityTracker) -> bool:
        ...
    def __gt__(self, other: ActivityTracker) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, neurons: collections.abc.Sequence[bool] = []) -> None:
        """
        A tracker with one flag per channel (True = dead)
        """
    def __le__(self, other: ActivityTracker) -> bool:
        ...
    def __lt__(self, other: ActivityTracker) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def add(self, alive: collections.abc.Sequence[bool]) -> None:
        """
        Marks channels alive where alive[c] is True
        """
    def count_dead_neurons(self) -> int:
        """
        The number of dead channels
        """
    def is_dead(self, channel: typing.SupportsInt | typing.SupportsIndex) -> bool:
        """
        True when `channel` was never > 0
        """
    def to_dict(self) -> dict:
        """
        {'neurons': per-channel dead flags, 'dead': their count}
        """
    @property
    def neurons(self) -> list[bool]:
        """
        Per channel: True = dead so far (never > 0)
        """
    @neurons.setter
    def neurons(self, arg0: collections.abc.Sequence[bool]) -> None:
        ...
class Group:
    """
    The normalisation group of a node
    """
    def __copy__(self) -> Group:
        ...
    def __deepcopy__(self, memo: dict) -> Group:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, other: Group) -> bool:
        ...
    def __gt__(self, other: Group) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, id: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        The normalisation group numbered `id`
        """
    def __le__(self, other: Group) -> bool:
        ...
    def __lt__(self, other: Group) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        The group as a dict {'id': id}
        """
    @property
    def id(self) -> int:
        """
        The group id
        """
    @id.setter
    def id(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class BatchNormFold:
    """
    A BatchNormalization folded into the Conv or Gemm before it
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def batch_norm(self) -> str:
        """
        name of the folded BatchNormalization
        """
    @property
    def into(self) -> str:
        """
        name of the Conv or Gemm it was folded into
        """
class MergeRecord:
    """
    One merge: the layers merged and what it costs
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def bias_map(self) -> bool:
        """
        True: the merged conv's bias is the chain's f(0) per position (valid only at the merged input size)
        """
    @property
    def cost_after(self) -> float:
        """
        the objective's cost of the merged layer
        """
    @property
    def cost_before(self) -> float:
        """
        the objective's cost of the merged layers: MACs, or seconds per forward (latency)
        """
    @property
    def exact(self) -> bool:
        """
        True when the merged layer computes exactly the same output
        """
    @property
    def macs_after(self) -> float:
        """
        MACs of the merged layer
        """
    @property
    def macs_before(self) -> float:
        """
        MACs of the merged layers
        """
    @property
    def macs_per_image(self) -> bool:
        """
        True: MACs per image; False: per output position (no input dims known)
        """
    @property
    def max_deviation(self) -> typing.Any:
        """
        approximate mode: max |merged - original| on a probe input; None in exact mode
        """
    @property
    def new_node(self) -> str:
        """
        name of the merged layer
        """
    @property
    def nodes(self) -> list[str]:
        """
        names of the merged layers, first to last
        """
class MergeResult:
    """
    What merge_convolutions merged and what it skipped, with reasons
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def merged(self) -> list[MergeRecord]:
        """
        list of MergeRecord, one per merge done
        """
    @property
    def skipped(self) -> list:
        """
        list of (node names, reason)
        """
class ResidualFold:
    """
    A residual skip folded into the conv it bypassed
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def add(self) -> str:
        """
        name of the Add node removed
        """
    @property
    def conv(self) -> str:
        """
        name of the conv the skip bypassed
        """
    @property
    def new_node(self) -> str:
        """
        name of the conv that replaces them
        """
    @property
    def projection(self) -> str:
        """
        name of the 1x1 projection conv ('' for identity)
        """
    @property
    def skip(self) -> str:
        """
        'identity' or 'projection'
        """
class LayerCost:
    """
    MACs (per image) and parameters of one compute node
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def macs(self) -> float:
        """
        multiply-accumulates per image (0 when no dims are known)
        """
    @property
    def name(self) -> str:
        """
        the node's name
        """
    @property
    def params(self) -> int:
        """
        number of parameters (weights and biases)
        """
    @property
    def type(self) -> str:
        """
        the node's operator type
        """
class SimplifyResult:
    """
    Everything simplify changed, and the per-layer cost before and after
    """
    def __repr__(self) -> str:
        ...
    def to_dict(self) -> dict:
        """
        Every field as a dict of plain values (nested results as dicts), e.g. for json.dumps
        """
    @property
    def after(self) -> list[LayerCost]:
        """
        list of LayerCost after simplify
        """
    @property
    def batchnorm_folds(self) -> list[BatchNormFold]:
        """
        list of BatchNormFold done
        """
    @property
    def before(self) -> list[LayerCost]:
        """
        list of LayerCost before simplify
        """
    @property
    def layers_removed(self) -> list[str]:
        """
        compute layers before minus after
        """
    @property
    def macs_known(self) -> bool:
        """
        False when no input dims were known (MACs are 0)
        """
    @property
    def merged(self) -> list[MergeRecord]:
        """
        list of MergeRecord done
        """
    @property
    def removed_identities(self) -> list[str]:
        """
        names of the Identity/Dropout nodes removed
        """
    @property
    def residual_folds(self) -> list[ResidualFold]:
        """
        list of ResidualFold done
        """
    @property
    def skipped(self) -> list:
        """
        list of (node names, reason) from the last merge round
        """
class _PlanCandidate:
    """
    One unit of non-linearities plan_depth considered (C++ PlanCandidate)
    """
    picked: bool
    why: str
    def __init__(self) -> None:
        ...
    @property
    def agreement(self) -> float:
        ...
    @agreement.setter
    def agreement(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def damage(self) -> float:
        ...
    @damage.setter
    def damage(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def gain(self) -> float:
        ...
    @gain.setter
    def gain(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def nnpr(self) -> float:
        ...
    @nnpr.setter
    def nnpr(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def nodes(self) -> list[str]:
        ...
    @nodes.setter
    def nodes(self, arg0: collections.abc.Sequence[str]) -> None:
        ...
    @property
    def npr(self) -> float:
        ...
    @npr.setter
    def npr(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class _DepthPlan:
    """
    What plan_depth found (C++ DepthPlan); fibnlr.depth_plan.DepthPlan wraps it
    """
    latency_runtime: str
    message: str
    mode: str
    objective: str
    target_reached: bool | None
    def __init__(self) -> None:
        ...
    @property
    def agreement(self) -> float:
        ...
    @agreement.setter
    def agreement(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def candidates(self) -> list[_PlanCandidate]:
        ...
    @candidates.setter
    def candidates(self, arg0: collections.abc.Sequence[_PlanCandidate]) -> None:
        ...
    @property
    def cost_after(self) -> float:
        ...
    @cost_after.setter
    def cost_after(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def cost_before(self) -> float:
        ...
    @cost_before.setter
    def cost_before(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def dims(self) -> list[list[int]]:
        ...
    @dims.setter
    def dims(self, arg0: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]]) -> None:
        ...
    @property
    def divergence(self) -> float:
        ...
    @divergence.setter
    def divergence(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_divergence(self) -> float:
        ...
    @max_divergence.setter
    def max_divergence(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_mac_growth(self) -> float:
        ...
    @max_mac_growth.setter
    def max_mac_growth(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def picked(self) -> list[str]:
        ...
    @picked.setter
    def picked(self, arg0: collections.abc.Sequence[str]) -> None:
        ...
    @property
    def picked_types(self) -> list[tuple[str, str]]:
        ...
    @picked_types.setter
    def picked_types(self, arg0: collections.abc.Sequence[tuple[str, str]]) -> None:
        ...
    @property
    def ratio(self) -> float:
        ...
    @ratio.setter
    def ratio(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def target(self) -> float | None:
        ...
    @target.setter
    def target(self, arg0: typing.SupportsFloat | typing.SupportsIndex | None) -> None:
        ...
def _apply_plan(graph: fibnlr._core.GraphView, plan: _DepthPlan) -> SimplifyResult:
    """
    The C++ applyPlan: replaces plan.picked by Identity in `graph` and simplifies as the plan priced it.
    
    Returns:
        SimplifyResult
    
    Raises:
        ValueError: naming a picked node that is missing or changed type; the graph is then unchanged.
    """
def _linearise(graph: fibnlr._core.GraphView, names: collections.abc.Sequence[str], what: str = 'plan') -> None:
    """
    Replaces each named node (one data input, one output) by an Identity of the same name, in place; ValueError naming a bad name first, the graph then unchanged.
    """
def _plan_depth(graph: fibnlr._core.GraphView, calibration: typing.Any, objective: str = 'latency', max_divergence: typing.SupportsFloat | typing.SupportsIndex = 0.05, target: typing.SupportsFloat | typing.SupportsIndex | None = None, holdout: typing.Any = None, params: Parameters = ..., mode: str = 'exact', max_mac_growth: typing.SupportsFloat | typing.SupportsIndex = 1.0, latency_runtime: str = 'fibnlr', max_candidates: typing.SupportsInt | typing.SupportsIndex | None = None, batch_size: typing.SupportsInt | typing.SupportsIndex = 64, seed: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> _DepthPlan:
    """
    The C++ planDepth on an array of calibration images [N, ...] (fibnlr.depth_plan.plan_depth takes any data and returns its dataclass). progress: None or a callable(done, total).
    
    Returns:
        DepthPlan
    
    Raises:
        ValueError: as fibnlr.depth_plan.plan_depth; the graph is never modified.
    """
def _plan_divergence(reference: typing.Any, logits: typing.Any) -> tuple[float, float]:
    """
    (mean KL(softmax(reference) || softmax(logits)) in nats, top-1 agreement) of two float32 [N, classes] arrays
    """
def _plan_merge_objective(objective: str) -> str:
    """
    What simplify's merge plan minimises for a plan objective: latency for latency, else macs.
    """
def _plan_units(graph: fibnlr._core.GraphView, prepared: collections.abc.Sequence[str], objective: str) -> list[list[str]]:
    """
    plan_depth's candidate units (lists of names) over the prepared non-linearities `prepared`
    """
def compute_kernel_dims(a: fibnlr._core.Node, b: fibnlr._core.Node) -> list[int]:
    """
    The kernel size per axis of Conv a followed by Conv b: e1 + (e2 - 1)*s1
    """
def compute_kernel_strides(a: fibnlr._core.Node, b: fibnlr._core.Node) -> list[int]:
    """
    The stride per axis of Conv a followed by Conv b: s1*s2
    """
def conv_from(a: fibnlr._core.Node, b: fibnlr._core.Node) -> fibnlr._core.Node:
    """
    A new Conv node (no weights) equivalent in shape to Conv a followed by Conv b
    """
def fibnlr(graph: fibnlr._core.GraphView, provider: typing.Any, params: Parameters = ...) -> list[fibnlr._core.Node]:
    """
    prepare + compute + prune in one call (arguments as for compute).
    
    Returns:
        list[Node]: the pruned nodes in graph order.
    
    Raises:
        ValueError: as prepare, compute and prune; every node's attributes are then put back.
    """
def fibnlr_add_activity_tracker(node: fibnlr._core.Node) -> ActivityTracker:
    """
    Attaches a fresh ActivityTracker to `node` and returns it (live)
    """
def fibnlr_add_group(node: fibnlr._core.Node) -> Group:
    """
    Attaches a fresh Group to `node` and returns it (live)
    """
def fibnlr_add_nnpr(node: fibnlr._core.Node) -> NNPR:
    """
    Attaches a fresh NNPR to `node` and returns it (live)
    """
def fibnlr_add_npr(node: fibnlr._core.Node) -> NPR:
    """
    Attaches a fresh NPR to `node` and returns it (live)
    """
def fibnlr_compute(graph: fibnlr._core.GraphView, provider: typing.Any, params: Parameters = ...) -> list[float]:
    """
    Runs calibration batches through the compiled graph, accumulating NPR and ActivityTracker on every prepared node, until convergence, max_iteration or the end of the data; then computes NNPR.
    
    Args:
        graph: the prepared, compiled model.
        provider: a DataProvider, or any iterable of numpy arrays, (x, y) tuples or torch tensors (the first modality is the model input).
        params: the Parameters.
    
    Returns:
        list[float]: the convergence value after each batch.
    
    Raises:
        ValueError: invalid parameters, graph not compiled, nothing prepared, no batch, a batch of the wrong shape (the attributes are then restored). A RuntimeWarning reports NaN/Inf activations.
    """
def fibnlr_compute_NNPR(graph: fibnlr._core.GraphView, params: Parameters = ...) -> dict:
    """
    Normalises each prepared node's NPR within its group into NNPR and stores it.
    
    Returns:
        dict[Node, float]: NNPR per prepared node (empty when nothing is prepared).
    
    Raises:
        ValueError: invalid parameters.
    """
def fibnlr_find_groups(graph: fibnlr._core.GraphView) -> set[int]:
    """
    The set of Group ids present on the graph's nodes
    """
def fibnlr_find_node_by_group(graph: fibnlr._core.GraphView, group: typing.SupportsInt | typing.SupportsIndex) -> list[fibnlr._core.Node]:
    """
    The nodes whose Group id is `group`, in graph order
    """
def fibnlr_get_activity_tracker(node: fibnlr._core.Node) -> ActivityTracker:
    """
    The ActivityTracker of `node`, a live reference: changes are seen by C++. Raises ValueError naming the node when it has none (not prepared).
    """
def fibnlr_get_group(node: fibnlr._core.Node) -> Group:
    """
    The Group of `node`, a live reference: changes are seen by C++. Raises ValueError naming the node when it has none (not prepared).
    """
def fibnlr_get_nnpr(node: fibnlr._core.Node) -> NNPR:
    """
    The NNPR of `node`, a live reference: changes are seen by C++. Raises ValueError naming the node when it has none (not prepared).
    """
def fibnlr_get_npr(node: fibnlr._core.Node) -> NPR:
    """
    The NPR of `node`, a live reference: changes are seen by C++. Raises ValueError naming the node when it has none (not prepared).
    """
def fibnlr_has_activity_tracker(node: fibnlr._core.Node) -> bool:
    """
    True when `node` carries a ActivityTracker
    """
def fibnlr_has_group(node: fibnlr._core.Node) -> bool:
    """
    True when `node` carries a Group
    """
def fibnlr_has_nnpr(node: fibnlr._core.Node) -> bool:
    """
    True when `node` carries a NNPR
    """
def fibnlr_has_npr(node: fibnlr._core.Node) -> bool:
    """
    True when `node` carries a NPR
    """
def fibnlr_prepare(graph: fibnlr._core.GraphView, params: Parameters = ...) -> list[fibnlr._core.Node]:
    """
    Selects the nodes of params.node_types and attaches NPR, NNPR (NaN), ActivityTracker, Group and a measuring hook to each.
    
    Args:
        graph: the model (compiled first for GroupMethod.IMAGE_SIZE).
        params: the Parameters.
    
    Returns:
        list[Node]: the prepared nodes in graph order.
    
    Raises:
        ValueError: invalid parameters, a group_assignments name that is not a selected node, IMAGE_SIZE on a graph never compiled; the graph is then unchanged.
    """
def fibnlr_prepared_nodes(graph: fibnlr._core.GraphView) -> list[fibnlr._core.Node]:
    """
    The nodes carrying FIBNLR attributes, in graph (topological) order
    """
def fibnlr_prune(graph: fibnlr._core.GraphView, params: Parameters = ...) -> list[fibnlr._core.Node]:
    """
    Selects prepared nodes by their stored NNPR (params.ablation_criteria) and replaces them by Identity or removes them (params.ablation_method).
    
    Returns:
        list[Node]: the selected nodes in graph order (the original node objects, which keep their attributes).
    
    Raises:
        ValueError: a candidate whose NNPR was never computed (prune before compute), naming it; the graph is then unchanged.
    """
def fibnlr_set_activity_tracker(node: fibnlr._core.Node, value: ActivityTracker) -> ActivityTracker:
    """
    Sets the ActivityTracker of `node` (in place: earlier references see the change)
    """
def fibnlr_set_group(node: fibnlr._core.Node, value: Group) -> Group:
    """
    Sets the Group of `node` (in place: earlier references see the change)
    """
def fibnlr_set_nnpr(node: fibnlr._core.Node, value: NNPR) -> NNPR:
    """
    Sets the NNPR of `node` (in place: earlier references see the change)
    """
def fibnlr_set_npr(node: fibnlr._core.Node, value: NPR) -> NPR:
    """
    Sets the NPR of `node` (in place: earlier references see the change)
    """
def fibnlr_try_get_activity_tracker(node: fibnlr._core.Node) -> ActivityTracker:
    """
    The ActivityTracker of `node`, or None
    """
def fibnlr_try_get_group(node: fibnlr._core.Node) -> Group:
    """
    The Group of `node`, or None
    """
def fibnlr_try_get_nnpr(node: fibnlr._core.Node) -> NNPR:
    """
    The NNPR of `node`, or None
    """
def fibnlr_try_get_npr(node: fibnlr._core.Node) -> NPR:
    """
    The NPR of `node`, or None
    """
def fold_batchnorm(graph: fibnlr._core.GraphView) -> list[BatchNormFold]:
    """
    Folds BatchNormalization after Conv or Gemm into its weights and bias (the BN's own epsilon).
    
    Returns:
        list[BatchNormFold]: the folds done.
    """
def fold_residual(graph: fibnlr._core.GraphView) -> list[ResidualFold]:
    """
    Folds identity and 1x1-projection residual skips around a single conv into its kernel's centre tap.
    
    Returns:
        list[ResidualFold]: the folds done.
    """
def get_kernel_dims(conv: fibnlr._core.Node) -> list[int]:
    """
    The kernel size per spatial axis of a Conv. Raises ValueError for a non-Conv or more than 3 spatial axes.
    """
def get_kernel_strides(conv: fibnlr._core.Node) -> list[int]:
    """
    The stride per spatial axis of a Conv. Raises ValueError for a non-Conv.
    """
def in_channels(conv: fibnlr._core.Node) -> int:
    """
    Input channels of a Conv (from its weight). Raises ValueError for a non-Conv.
    """
def is_child_of(child: fibnlr._core.Node, parent: fibnlr._core.Node) -> bool:
    """
    True when `parent` feeds an input of `child`
    """
def is_conv(node: fibnlr._core.Node) -> bool:
    """
    True when `node` is a Conv
    """
def is_tensor(node: fibnlr._core.Node) -> bool:
    """
    True when `node` holds a constant tensor (a Producer)
    """
def layer_costs(graph: fibnlr._core.GraphView, dims: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]] = []) -> list[LayerCost]:
    """
    Per compute node: MACs per image (needs dims or a compiled graph, else 0) and parameters.
    
    Returns:
        list[LayerCost]: in graph order.
    """
def merge_convolutions(graph: fibnlr._core.GraphView, mode: str = 'exact', max_mac_growth: typing.SupportsFloat | typing.SupportsIndex = 1.0, dims: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]] = [], probe_seed: typing.SupportsInt | typing.SupportsIndex = 0, objective: str = 'macs', latency_runtime: str = 'fibnlr') -> MergeResult:
    """
    Merges back-to-back Conv (or Gemm) chains into one layer. mode 'exact' merges only where the result is exactly equal; 'approximate' also merges padded chains and reports each merge's max deviation on a probe input. Merges costing more than max_mac_growth times the MACs they replace are skipped. dims: graph input shapes for per-image MACs (taken from compile() when omitted); with them, a padded conv after a bias merges exactly, the merged conv carrying the chain's f(0) as a bias map valid at those dims only. objective: what each chain's merge plan minimises: 'macs' (default), 'latency' (each candidate segment timed at the dims on latency_runtime 'fibnlr' or 'onnxruntime', cached) or 'layers' (fewest layers). Identity and Dropout between the layers are looked through.
    
    Returns:
        MergeResult: merged and skipped.
    
    Raises:
        ValueError: an unknown mode, objective or latency_runtime, max_mac_growth <= 0.
    """
def out_channels(conv: fibnlr._core.Node) -> int:
    """
    Output channels of a Conv (from its weight). Raises ValueError for a non-Conv.
    """
def remove_identity(graph: fibnlr._core.GraphView) -> list[str]:
    """
    Removes Identity and inference Dropout nodes and reconnects their consumers.
    
    Returns:
        list[str]: the removed node names.
    """
def simplify(graph: fibnlr._core.GraphView, mode: str = 'exact', max_mac_growth: typing.SupportsFloat | typing.SupportsIndex = 1.0, dims: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]] = [], fold_batchnorm: bool = True, remove_identity: bool = True, fold_residual: bool = True, probe_seed: typing.SupportsInt | typing.SupportsIndex = 0, objective: str = 'macs', latency_runtime: str = 'fibnlr') -> SimplifyResult:
    """
    After pruning: fold BatchNorm, remove Identity/Dropout, then merge convolutions and fold residual skips until nothing changes; mode, max_mac_growth, dims, probe_seed, objective and latency_runtime as for merge_convolutions; fold_batchnorm, remove_identity, fold_residual switch those steps.
    
    Returns:
        SimplifyResult: every change and a per-layer cost table before and after.
    
    Raises:
        ValueError: as merge_convolutions; the graph is then unchanged.
    """
_plan_objectives: list = ['latency', 'macs', 'nonlinear_ops']
fibnlr_Parameters = Parameters
