import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_NORMAL: _ClassVar[OrderType]
    ORDER_TYPE_PRESALE: _ClassVar[OrderType]
    ORDER_TYPE_RETURN: _ClassVar[OrderType]
    ORDER_TYPE_EXCHANGE: _ClassVar[OrderType]
    ORDER_TYPE_B2B: _ClassVar[OrderType]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_WEB: _ClassVar[Channel]
    CHANNEL_APP: _ClassVar[Channel]
    CHANNEL_MINI_PROGRAM: _ClassVar[Channel]
    CHANNEL_LIVE_STREAM: _ClassVar[Channel]
    CHANNEL_MARKETPLACE: _ClassVar[Channel]
    CHANNEL_B2B: _ClassVar[Channel]
    CHANNEL_POS: _ClassVar[Channel]

class CustomerTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_TIER_UNSPECIFIED: _ClassVar[CustomerTier]
    CUSTOMER_TIER_REGULAR: _ClassVar[CustomerTier]
    CUSTOMER_TIER_PLUS: _ClassVar[CustomerTier]
    CUSTOMER_TIER_VIP: _ClassVar[CustomerTier]

class InventoryType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_TYPE_UNSPECIFIED: _ClassVar[InventoryType]
    INVENTORY_TYPE_PHYSICAL: _ClassVar[InventoryType]
    INVENTORY_TYPE_VIRTUAL: _ClassVar[InventoryType]
    INVENTORY_TYPE_PRESALE: _ClassVar[InventoryType]

class WarehouseType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WAREHOUSE_TYPE_UNSPECIFIED: _ClassVar[WarehouseType]
    WAREHOUSE_TYPE_DC: _ClassVar[WarehouseType]
    WAREHOUSE_TYPE_FORWARD: _ClassVar[WarehouseType]
    WAREHOUSE_TYPE_STORE: _ClassVar[WarehouseType]
    WAREHOUSE_TYPE_BONDED: _ClassVar[WarehouseType]

class AddressRisk(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADDRESS_RISK_UNSPECIFIED: _ClassVar[AddressRisk]
    ADDRESS_RISK_LOW: _ClassVar[AddressRisk]
    ADDRESS_RISK_MEDIUM: _ClassVar[AddressRisk]
    ADDRESS_RISK_HIGH: _ClassVar[AddressRisk]

class Review(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_UNSPECIFIED: _ClassVar[Review]
    REVIEW_SKIP: _ClassVar[Review]
    REVIEW_STANDARD: _ClassVar[Review]
    REVIEW_MANUAL: _ClassVar[Review]

class Arm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARM_UNSPECIFIED: _ClassVar[Arm]
    ARM_BASELINE: _ClassVar[Arm]
    ARM_CANDIDATE: _ClassVar[Arm]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]

class ReviewState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATE_UNSPECIFIED: _ClassVar[ReviewState]
    REVIEW_STATE_PENDING: _ClassVar[ReviewState]
    REVIEW_STATE_APPROVED: _ClassVar[ReviewState]
    REVIEW_STATE_REJECTED: _ClassVar[ReviewState]
    REVIEW_STATE_NOT_REQUIRED: _ClassVar[ReviewState]

class ExperimentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIMENT_STATE_UNSPECIFIED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_RUNNING: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_PAUSED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_PROMOTED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_ROLLED_BACK: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_ABORTED: _ClassVar[ExperimentState]

class AssignmentUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGNMENT_UNIT_UNSPECIFIED: _ClassVar[AssignmentUnit]
    ASSIGNMENT_UNIT_CUSTOMER_ID: _ClassVar[AssignmentUnit]
    ASSIGNMENT_UNIT_ORDER_ID: _ClassVar[AssignmentUnit]

class MetricKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_KIND_UNSPECIFIED: _ClassVar[MetricKind]
    METRIC_KIND_RATE: _ClassVar[MetricKind]
    METRIC_KIND_COUNT: _ClassVar[MetricKind]
    METRIC_KIND_AMOUNT: _ClassVar[MetricKind]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_CANDIDATE_BETTER: _ClassVar[Verdict]
    VERDICT_CANDIDATE_WORSE: _ClassVar[Verdict]
    VERDICT_NO_DIFFERENCE_YET: _ClassVar[Verdict]
    VERDICT_INVALID: _ClassVar[Verdict]

class Truth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUTH_UNSPECIFIED: _ClassVar[Truth]
    TRUTH_TRUE: _ClassVar[Truth]
    TRUTH_FALSE: _ClassVar[Truth]
    TRUTH_UNKNOWN: _ClassVar[Truth]
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_NORMAL: OrderType
ORDER_TYPE_PRESALE: OrderType
ORDER_TYPE_RETURN: OrderType
ORDER_TYPE_EXCHANGE: OrderType
ORDER_TYPE_B2B: OrderType
CHANNEL_UNSPECIFIED: Channel
CHANNEL_WEB: Channel
CHANNEL_APP: Channel
CHANNEL_MINI_PROGRAM: Channel
CHANNEL_LIVE_STREAM: Channel
CHANNEL_MARKETPLACE: Channel
CHANNEL_B2B: Channel
CHANNEL_POS: Channel
CUSTOMER_TIER_UNSPECIFIED: CustomerTier
CUSTOMER_TIER_REGULAR: CustomerTier
CUSTOMER_TIER_PLUS: CustomerTier
CUSTOMER_TIER_VIP: CustomerTier
INVENTORY_TYPE_UNSPECIFIED: InventoryType
INVENTORY_TYPE_PHYSICAL: InventoryType
INVENTORY_TYPE_VIRTUAL: InventoryType
INVENTORY_TYPE_PRESALE: InventoryType
WAREHOUSE_TYPE_UNSPECIFIED: WarehouseType
WAREHOUSE_TYPE_DC: WarehouseType
WAREHOUSE_TYPE_FORWARD: WarehouseType
WAREHOUSE_TYPE_STORE: WarehouseType
WAREHOUSE_TYPE_BONDED: WarehouseType
ADDRESS_RISK_UNSPECIFIED: AddressRisk
ADDRESS_RISK_LOW: AddressRisk
ADDRESS_RISK_MEDIUM: AddressRisk
ADDRESS_RISK_HIGH: AddressRisk
REVIEW_UNSPECIFIED: Review
REVIEW_SKIP: Review
REVIEW_STANDARD: Review
REVIEW_MANUAL: Review
ARM_UNSPECIFIED: Arm
ARM_BASELINE: Arm
ARM_CANDIDATE: Arm
SEVERITY_UNSPECIFIED: Severity
SEVERITY_ERROR: Severity
SEVERITY_WARNING: Severity
REVIEW_STATE_UNSPECIFIED: ReviewState
REVIEW_STATE_PENDING: ReviewState
REVIEW_STATE_APPROVED: ReviewState
REVIEW_STATE_REJECTED: ReviewState
REVIEW_STATE_NOT_REQUIRED: ReviewState
EXPERIMENT_STATE_UNSPECIFIED: ExperimentState
EXPERIMENT_STATE_RUNNING: ExperimentState
EXPERIMENT_STATE_PAUSED: ExperimentState
EXPERIMENT_STATE_PROMOTED: ExperimentState
EXPERIMENT_STATE_ROLLED_BACK: ExperimentState
EXPERIMENT_STATE_ABORTED: ExperimentState
ASSIGNMENT_UNIT_UNSPECIFIED: AssignmentUnit
ASSIGNMENT_UNIT_CUSTOMER_ID: AssignmentUnit
ASSIGNMENT_UNIT_ORDER_ID: AssignmentUnit
METRIC_KIND_UNSPECIFIED: MetricKind
METRIC_KIND_RATE: MetricKind
METRIC_KIND_COUNT: MetricKind
METRIC_KIND_AMOUNT: MetricKind
VERDICT_UNSPECIFIED: Verdict
VERDICT_CANDIDATE_BETTER: Verdict
VERDICT_CANDIDATE_WORSE: Verdict
VERDICT_NO_DIFFERENCE_YET: Verdict
VERDICT_INVALID: Verdict
TRUTH_UNSPECIFIED: Truth
TRUTH_TRUE: Truth
TRUTH_FALSE: Truth
TRUTH_UNKNOWN: Truth

class RouteRequest(_message.Message):
    __slots__ = ("order", "rule_set")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    order: Order
    rule_set: str
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ..., rule_set: _Optional[str] = ...) -> None: ...

class RouteResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    def __init__(self, decision: _Optional[_Union[Decision, _Mapping]] = ...) -> None: ...

class RouteBatchRequest(_message.Message):
    __slots__ = ("orders", "rule_set")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    rule_set: str
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., rule_set: _Optional[str] = ...) -> None: ...

class RouteBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RouteResult]
    def __init__(self, results: _Optional[_Iterable[_Union[RouteResult, _Mapping]]] = ...) -> None: ...

class RouteResult(_message.Message):
    __slots__ = ("decision", "error")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    error: _status_pb2.Status
    def __init__(self, decision: _Optional[_Union[Decision, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "order_type", "channel", "total_minor", "margin_minor", "currency", "item_count", "is_cross_border", "promised_hours", "payment_method", "ship_to", "tags", "customer", "lines", "risk", "logistics", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    MARGIN_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    IS_CROSS_BORDER_FIELD_NUMBER: _ClassVar[int]
    PROMISED_HOURS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    SHIP_TO_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    LOGISTICS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    order_type: OrderType
    channel: Channel
    total_minor: int
    margin_minor: int
    currency: str
    item_count: int
    is_cross_border: bool
    promised_hours: int
    payment_method: str
    ship_to: Address
    tags: _containers.RepeatedScalarFieldContainer[str]
    customer: Customer
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    risk: Risk
    logistics: Logistics
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, order_id: _Optional[str] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., channel: _Optional[_Union[Channel, str]] = ..., total_minor: _Optional[int] = ..., margin_minor: _Optional[int] = ..., currency: _Optional[str] = ..., item_count: _Optional[int] = ..., is_cross_border: _Optional[bool] = ..., promised_hours: _Optional[int] = ..., payment_method: _Optional[str] = ..., ship_to: _Optional[_Union[Address, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., customer: _Optional[_Union[Customer, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., risk: _Optional[_Union[Risk, _Mapping]] = ..., logistics: _Optional[_Union[Logistics, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("country", "province", "city")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    country: str
    province: str
    city: str
    def __init__(self, country: _Optional[str] = ..., province: _Optional[str] = ..., city: _Optional[str] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("customer_id", "tier", "repeat_purchases", "ltv_minor", "return_rate", "segments")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REPEAT_PURCHASES_FIELD_NUMBER: _ClassVar[int]
    LTV_MINOR_FIELD_NUMBER: _ClassVar[int]
    RETURN_RATE_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    tier: CustomerTier
    repeat_purchases: int
    ltv_minor: int
    return_rate: float
    segments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, customer_id: _Optional[str] = ..., tier: _Optional[_Union[CustomerTier, str]] = ..., repeat_purchases: _Optional[int] = ..., ltv_minor: _Optional[int] = ..., return_rate: _Optional[float] = ..., segments: _Optional[_Iterable[str]] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("sku", "qty", "category", "price_minor", "cost_minor", "hazmat", "oversize", "inventory_type")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PRICE_MINOR_FIELD_NUMBER: _ClassVar[int]
    COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    HAZMAT_FIELD_NUMBER: _ClassVar[int]
    OVERSIZE_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_TYPE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    qty: int
    category: str
    price_minor: int
    cost_minor: int
    hazmat: bool
    oversize: bool
    inventory_type: InventoryType
    def __init__(self, sku: _Optional[str] = ..., qty: _Optional[int] = ..., category: _Optional[str] = ..., price_minor: _Optional[int] = ..., cost_minor: _Optional[int] = ..., hazmat: _Optional[bool] = ..., oversize: _Optional[bool] = ..., inventory_type: _Optional[_Union[InventoryType, str]] = ...) -> None: ...

class Risk(_message.Message):
    __slots__ = ("fraud_score", "address_risk")
    FRAUD_SCORE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_RISK_FIELD_NUMBER: _ClassVar[int]
    fraud_score: float
    address_risk: AddressRisk
    def __init__(self, fraud_score: _Optional[float] = ..., address_risk: _Optional[_Union[AddressRisk, str]] = ...) -> None: ...

class Logistics(_message.Message):
    __slots__ = ("nearest_warehouse", "warehouses", "logistics_cost_minor")
    NEAREST_WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    LOGISTICS_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    nearest_warehouse: str
    warehouses: _containers.RepeatedCompositeFieldContainer[Warehouse]
    logistics_cost_minor: int
    def __init__(self, nearest_warehouse: _Optional[str] = ..., warehouses: _Optional[_Iterable[_Union[Warehouse, _Mapping]]] = ..., logistics_cost_minor: _Optional[int] = ...) -> None: ...

class Warehouse(_message.Message):
    __slots__ = ("id", "type", "in_stock", "distance_km")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: WarehouseType
    in_stock: bool
    distance_km: float
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[WarehouseType, str]] = ..., in_stock: _Optional[bool] = ..., distance_km: _Optional[float] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision_id", "path", "risk_review", "credit_review", "warehouse", "warehouse_node", "carrier", "priority_pickup", "cs_queue", "holds", "tags", "avoid_warehouse_types", "rule_set", "version", "content_hash", "matched_rules", "default_rule_used", "missing_facts", "decided_by", "evaluated_at", "evaluation_micros", "arm", "experiment_id")
    class DecidedByEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RISK_REVIEW_FIELD_NUMBER: _ClassVar[int]
    CREDIT_REVIEW_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_NODE_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_PICKUP_FIELD_NUMBER: _ClassVar[int]
    CS_QUEUE_FIELD_NUMBER: _ClassVar[int]
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    AVOID_WAREHOUSE_TYPES_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    MATCHED_RULES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_USED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FACTS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_MICROS_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    path: str
    risk_review: Review
    credit_review: Review
    warehouse: str
    warehouse_node: str
    carrier: str
    priority_pickup: bool
    cs_queue: str
    holds: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    avoid_warehouse_types: _containers.RepeatedScalarFieldContainer[WarehouseType]
    rule_set: str
    version: int
    content_hash: str
    matched_rules: _containers.RepeatedScalarFieldContainer[str]
    default_rule_used: bool
    missing_facts: _containers.RepeatedScalarFieldContainer[str]
    decided_by: _containers.ScalarMap[str, str]
    evaluated_at: _timestamp_pb2.Timestamp
    evaluation_micros: int
    arm: Arm
    experiment_id: str
    def __init__(self, decision_id: _Optional[str] = ..., path: _Optional[str] = ..., risk_review: _Optional[_Union[Review, str]] = ..., credit_review: _Optional[_Union[Review, str]] = ..., warehouse: _Optional[str] = ..., warehouse_node: _Optional[str] = ..., carrier: _Optional[str] = ..., priority_pickup: _Optional[bool] = ..., cs_queue: _Optional[str] = ..., holds: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., avoid_warehouse_types: _Optional[_Iterable[_Union[WarehouseType, str]]] = ..., rule_set: _Optional[str] = ..., version: _Optional[int] = ..., content_hash: _Optional[str] = ..., matched_rules: _Optional[_Iterable[str]] = ..., default_rule_used: _Optional[bool] = ..., missing_facts: _Optional[_Iterable[str]] = ..., decided_by: _Optional[_Mapping[str, str]] = ..., evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evaluation_micros: _Optional[int] = ..., arm: _Optional[_Union[Arm, str]] = ..., experiment_id: _Optional[str] = ...) -> None: ...

class GetCallerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCallerResponse(_message.Message):
    __slots__ = ("auth_enabled", "name", "roles")
    AUTH_ENABLED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    auth_enabled: bool
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, auth_enabled: _Optional[bool] = ..., name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ...) -> None: ...

class Diagnostic(_message.Message):
    __slots__ = ("severity", "file", "line", "rule_id", "code", "message", "hint", "field")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    severity: Severity
    file: str
    line: int
    rule_id: str
    code: str
    message: str
    hint: str
    field: str
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., file: _Optional[str] = ..., line: _Optional[int] = ..., rule_id: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., hint: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class TestCaseResult(_message.Message):
    __slots__ = ("name", "passed", "failures", "line")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    passed: bool
    failures: _containers.RepeatedScalarFieldContainer[str]
    line: int
    def __init__(self, name: _Optional[str] = ..., passed: _Optional[bool] = ..., failures: _Optional[_Iterable[str]] = ..., line: _Optional[int] = ...) -> None: ...

class ValidateRuleSetRequest(_message.Message):
    __slots__ = ("source", "file_name")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    source: str
    file_name: str
    def __init__(self, source: _Optional[str] = ..., file_name: _Optional[str] = ...) -> None: ...

class ValidateRuleSetResponse(_message.Message):
    __slots__ = ("valid", "diagnostics", "tests", "name", "content_hash")
    VALID_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    tests: _containers.RepeatedCompositeFieldContainer[TestCaseResult]
    name: str
    content_hash: str
    def __init__(self, valid: _Optional[bool] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ..., tests: _Optional[_Iterable[_Union[TestCaseResult, _Mapping]]] = ..., name: _Optional[str] = ..., content_hash: _Optional[str] = ...) -> None: ...

class TryRuleSetRequest(_message.Message):
    __slots__ = ("source", "file_name", "name", "version", "order")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    source: str
    file_name: str
    name: str
    version: int
    order: Order
    def __init__(self, source: _Optional[str] = ..., file_name: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[int] = ..., order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class RuleTrace(_message.Message):
    __slots__ = ("rule_id", "matched", "unknown", "decided", "is_default")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    DECIDED_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    matched: bool
    unknown: bool
    decided: _containers.RepeatedScalarFieldContainer[str]
    is_default: bool
    def __init__(self, rule_id: _Optional[str] = ..., matched: _Optional[bool] = ..., unknown: _Optional[bool] = ..., decided: _Optional[_Iterable[str]] = ..., is_default: _Optional[bool] = ...) -> None: ...

class TryRuleSetResponse(_message.Message):
    __slots__ = ("decision", "rules", "diagnostics", "tests")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    rules: _containers.RepeatedCompositeFieldContainer[RuleTrace]
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    tests: _containers.RepeatedCompositeFieldContainer[TestCaseResult]
    def __init__(self, decision: _Optional[_Union[Decision, _Mapping]] = ..., rules: _Optional[_Iterable[_Union[RuleTrace, _Mapping]]] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ..., tests: _Optional[_Iterable[_Union[TestCaseResult, _Mapping]]] = ...) -> None: ...

class Draft(_message.Message):
    __slots__ = ("name", "owner", "source", "base_version", "updated_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    source: str
    base_version: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., source: _Optional[str] = ..., base_version: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SaveDraftRequest(_message.Message):
    __slots__ = ("name", "source", "base_version", "actor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    source: str
    base_version: int
    actor: str
    def __init__(self, name: _Optional[str] = ..., source: _Optional[str] = ..., base_version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class SaveDraftResponse(_message.Message):
    __slots__ = ("draft",)
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    draft: Draft
    def __init__(self, draft: _Optional[_Union[Draft, _Mapping]] = ...) -> None: ...

class GetDraftRequest(_message.Message):
    __slots__ = ("name", "actor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    actor: str
    def __init__(self, name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class GetDraftResponse(_message.Message):
    __slots__ = ("draft",)
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    draft: Draft
    def __init__(self, draft: _Optional[_Union[Draft, _Mapping]] = ...) -> None: ...

class DeleteDraftRequest(_message.Message):
    __slots__ = ("name", "actor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    actor: str
    def __init__(self, name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteDraftResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PublishRuleSetRequest(_message.Message):
    __slots__ = ("source", "file_name", "author", "comment", "request_id")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    source: str
    file_name: str
    author: str
    comment: str
    request_id: str
    def __init__(self, source: _Optional[str] = ..., file_name: _Optional[str] = ..., author: _Optional[str] = ..., comment: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PublishRuleSetResponse(_message.Message):
    __slots__ = ("version", "diagnostics", "tests", "created")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    version: RuleSetVersion
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    tests: _containers.RepeatedCompositeFieldContainer[TestCaseResult]
    created: bool
    def __init__(self, version: _Optional[_Union[RuleSetVersion, _Mapping]] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ..., tests: _Optional[_Iterable[_Union[TestCaseResult, _Mapping]]] = ..., created: _Optional[bool] = ...) -> None: ...

class VersionReview(_message.Message):
    __slots__ = ("reviewer", "approved", "comment", "at")
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    APPROVED_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    reviewer: str
    approved: bool
    comment: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, reviewer: _Optional[str] = ..., approved: _Optional[bool] = ..., comment: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RuleSetVersion(_message.Message):
    __slots__ = ("name", "version", "content_hash", "source", "author", "comment", "published_at", "active", "rule_count", "review_state", "reviews", "approvals_required")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    RULE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    APPROVALS_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    content_hash: str
    source: str
    author: str
    comment: str
    published_at: _timestamp_pb2.Timestamp
    active: bool
    rule_count: int
    review_state: ReviewState
    reviews: _containers.RepeatedCompositeFieldContainer[VersionReview]
    approvals_required: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., content_hash: _Optional[str] = ..., source: _Optional[str] = ..., author: _Optional[str] = ..., comment: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active: _Optional[bool] = ..., rule_count: _Optional[int] = ..., review_state: _Optional[_Union[ReviewState, str]] = ..., reviews: _Optional[_Iterable[_Union[VersionReview, _Mapping]]] = ..., approvals_required: _Optional[int] = ...) -> None: ...

class GetRuleSetRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetRuleSetResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: RuleSetVersion
    def __init__(self, version: _Optional[_Union[RuleSetVersion, _Mapping]] = ...) -> None: ...

class ListRuleSetsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class RuleSetSummary(_message.Message):
    __slots__ = ("name", "active_version", "latest_version", "versions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    active_version: int
    latest_version: int
    versions: _containers.RepeatedCompositeFieldContainer[RuleSetVersion]
    def __init__(self, name: _Optional[str] = ..., active_version: _Optional[int] = ..., latest_version: _Optional[int] = ..., versions: _Optional[_Iterable[_Union[RuleSetVersion, _Mapping]]] = ...) -> None: ...

class ListRuleSetsResponse(_message.Message):
    __slots__ = ("rule_sets", "next_page_token")
    RULE_SETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rule_sets: _containers.RepeatedCompositeFieldContainer[RuleSetSummary]
    next_page_token: str
    def __init__(self, rule_sets: _Optional[_Iterable[_Union[RuleSetSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRuleSetVersionsRequest(_message.Message):
    __slots__ = ("name", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRuleSetVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[RuleSetVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[RuleSetVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ActivateRuleSetRequest(_message.Message):
    __slots__ = ("name", "version", "reason", "actor", "expected_active_version", "request_id", "bypass_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BYPASS_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    reason: str
    actor: str
    expected_active_version: int
    request_id: str
    bypass_reason: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., expected_active_version: _Optional[int] = ..., request_id: _Optional[str] = ..., bypass_reason: _Optional[str] = ...) -> None: ...

class ReviewRuleSetRequest(_message.Message):
    __slots__ = ("name", "version", "approve", "comment", "actor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    approve: bool
    comment: str
    actor: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., approve: _Optional[bool] = ..., comment: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ReviewRuleSetResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: RuleSetVersion
    def __init__(self, version: _Optional[_Union[RuleSetVersion, _Mapping]] = ...) -> None: ...

class Activation(_message.Message):
    __slots__ = ("name", "version", "previous_version", "actor", "reason", "at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    previous_version: int
    actor: str
    reason: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., previous_version: _Optional[int] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActivateRuleSetResponse(_message.Message):
    __slots__ = ("activation",)
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    activation: Activation
    def __init__(self, activation: _Optional[_Union[Activation, _Mapping]] = ...) -> None: ...

class DiffRuleSetsRequest(_message.Message):
    __slots__ = ("name", "from_version", "to_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    from_version: int
    to_version: int
    def __init__(self, name: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ...) -> None: ...

class DiffRuleSetsResponse(_message.Message):
    __slots__ = ("added_rules", "removed_rules", "changed_rules", "source_diff", "changes")
    ADDED_RULES_FIELD_NUMBER: _ClassVar[int]
    REMOVED_RULES_FIELD_NUMBER: _ClassVar[int]
    CHANGED_RULES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DIFF_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    added_rules: _containers.RepeatedScalarFieldContainer[str]
    removed_rules: _containers.RepeatedScalarFieldContainer[str]
    changed_rules: _containers.RepeatedScalarFieldContainer[str]
    source_diff: str
    changes: _containers.RepeatedCompositeFieldContainer[RuleChange]
    def __init__(self, added_rules: _Optional[_Iterable[str]] = ..., removed_rules: _Optional[_Iterable[str]] = ..., changed_rules: _Optional[_Iterable[str]] = ..., source_diff: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[RuleChange, _Mapping]]] = ...) -> None: ...

class RuleChange(_message.Message):
    __slots__ = ("rule_id", "kind", "cells")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    kind: str
    cells: _containers.RepeatedCompositeFieldContainer[CellChange]
    def __init__(self, rule_id: _Optional[str] = ..., kind: _Optional[str] = ..., cells: _Optional[_Iterable[_Union[CellChange, _Mapping]]] = ...) -> None: ...

class CellChange(_message.Message):
    __slots__ = ("column", "before", "after")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    column: str
    before: str
    after: str
    def __init__(self, column: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...

class GetAuditLogRequest(_message.Message):
    __slots__ = ("name", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("action", "name", "version", "actor", "reason", "at", "previous_version", "content_hash", "bypass_reason")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    BYPASS_REASON_FIELD_NUMBER: _ClassVar[int]
    action: str
    name: str
    version: int
    actor: str
    reason: str
    at: _timestamp_pb2.Timestamp
    previous_version: int
    content_hash: str
    bypass_reason: str
    def __init__(self, action: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_version: _Optional[int] = ..., content_hash: _Optional[str] = ..., bypass_reason: _Optional[str] = ...) -> None: ...

class GetAuditLogResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MetricDefinition(_message.Message):
    __slots__ = ("name", "kind", "higher_is_better", "description", "min_effect", "guardrail_limit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HIGHER_IS_BETTER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MIN_EFFECT_FIELD_NUMBER: _ClassVar[int]
    GUARDRAIL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: MetricKind
    higher_is_better: bool
    description: str
    min_effect: float
    guardrail_limit: float
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[MetricKind, str]] = ..., higher_is_better: _Optional[bool] = ..., description: _Optional[str] = ..., min_effect: _Optional[float] = ..., guardrail_limit: _Optional[float] = ...) -> None: ...

class GuardrailSpec(_message.Message):
    __slots__ = ("metric", "limit")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    metric: str
    limit: float
    def __init__(self, metric: _Optional[str] = ..., limit: _Optional[float] = ...) -> None: ...

class Experiment(_message.Message):
    __slots__ = ("id", "rule_set", "baseline_version", "candidate_version", "traffic_bp", "unit", "salt", "primary_metric", "guardrails", "min_samples", "min_duration_seconds", "state", "created_at", "created_by", "ended_at", "epoch", "maturity_seconds", "etag", "metrics")
    class MaturitySecondsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    BASELINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_BP_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_METRIC_FIELD_NUMBER: _ClassVar[int]
    GUARDRAILS_FIELD_NUMBER: _ClassVar[int]
    MIN_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    MATURITY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule_set: str
    baseline_version: int
    candidate_version: int
    traffic_bp: int
    unit: AssignmentUnit
    salt: str
    primary_metric: str
    guardrails: _containers.RepeatedCompositeFieldContainer[GuardrailSpec]
    min_samples: int
    min_duration_seconds: int
    state: ExperimentState
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    ended_at: _timestamp_pb2.Timestamp
    epoch: int
    maturity_seconds: _containers.ScalarMap[str, int]
    etag: str
    metrics: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    def __init__(self, id: _Optional[str] = ..., rule_set: _Optional[str] = ..., baseline_version: _Optional[int] = ..., candidate_version: _Optional[int] = ..., traffic_bp: _Optional[int] = ..., unit: _Optional[_Union[AssignmentUnit, str]] = ..., salt: _Optional[str] = ..., primary_metric: _Optional[str] = ..., guardrails: _Optional[_Iterable[_Union[GuardrailSpec, _Mapping]]] = ..., min_samples: _Optional[int] = ..., min_duration_seconds: _Optional[int] = ..., state: _Optional[_Union[ExperimentState, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., epoch: _Optional[int] = ..., maturity_seconds: _Optional[_Mapping[str, int]] = ..., etag: _Optional[str] = ..., metrics: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ...) -> None: ...

class ExperimentTransition(_message.Message):
    __slots__ = ("action", "from_state", "to_state", "actor", "reason", "at", "traffic_bp", "results_json")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_BP_FIELD_NUMBER: _ClassVar[int]
    RESULTS_JSON_FIELD_NUMBER: _ClassVar[int]
    action: str
    from_state: ExperimentState
    to_state: ExperimentState
    actor: str
    reason: str
    at: _timestamp_pb2.Timestamp
    traffic_bp: int
    results_json: str
    def __init__(self, action: _Optional[str] = ..., from_state: _Optional[_Union[ExperimentState, str]] = ..., to_state: _Optional[_Union[ExperimentState, str]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., traffic_bp: _Optional[int] = ..., results_json: _Optional[str] = ...) -> None: ...

class StartExperimentRequest(_message.Message):
    __slots__ = ("rule_set", "candidate_version", "traffic_bp", "unit", "primary_metric", "guardrails", "min_samples", "min_duration_seconds", "actor", "reason", "salt", "request_id", "maturity_seconds", "metrics", "bypass_reason")
    class MaturitySecondsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_BP_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_METRIC_FIELD_NUMBER: _ClassVar[int]
    GUARDRAILS_FIELD_NUMBER: _ClassVar[int]
    MIN_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MATURITY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    BYPASS_REASON_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    candidate_version: int
    traffic_bp: int
    unit: AssignmentUnit
    primary_metric: str
    guardrails: _containers.RepeatedCompositeFieldContainer[GuardrailSpec]
    min_samples: int
    min_duration_seconds: int
    actor: str
    reason: str
    salt: str
    request_id: str
    maturity_seconds: _containers.ScalarMap[str, int]
    metrics: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    bypass_reason: str
    def __init__(self, rule_set: _Optional[str] = ..., candidate_version: _Optional[int] = ..., traffic_bp: _Optional[int] = ..., unit: _Optional[_Union[AssignmentUnit, str]] = ..., primary_metric: _Optional[str] = ..., guardrails: _Optional[_Iterable[_Union[GuardrailSpec, _Mapping]]] = ..., min_samples: _Optional[int] = ..., min_duration_seconds: _Optional[int] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., salt: _Optional[str] = ..., request_id: _Optional[str] = ..., maturity_seconds: _Optional[_Mapping[str, int]] = ..., metrics: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ..., bypass_reason: _Optional[str] = ...) -> None: ...

class StartExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class GetExperimentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetExperimentResponse(_message.Message):
    __slots__ = ("experiment", "transitions")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    transitions: _containers.RepeatedCompositeFieldContainer[ExperimentTransition]
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ..., transitions: _Optional[_Iterable[_Union[ExperimentTransition, _Mapping]]] = ...) -> None: ...

class ListExperimentsRequest(_message.Message):
    __slots__ = ("rule_set", "page_size", "page_token")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    page_size: int
    page_token: str
    def __init__(self, rule_set: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExperimentsResponse(_message.Message):
    __slots__ = ("experiments", "next_page_token")
    EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    experiments: _containers.RepeatedCompositeFieldContainer[Experiment]
    next_page_token: str
    def __init__(self, experiments: _Optional[_Iterable[_Union[Experiment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RampExperimentRequest(_message.Message):
    __slots__ = ("id", "traffic_bp", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_BP_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    traffic_bp: int
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., traffic_bp: _Optional[int] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class RampExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class PauseExperimentRequest(_message.Message):
    __slots__ = ("id", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class PauseExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class ResumeExperimentRequest(_message.Message):
    __slots__ = ("id", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ResumeExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class PromoteExperimentRequest(_message.Message):
    __slots__ = ("id", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class PromoteExperimentResponse(_message.Message):
    __slots__ = ("experiment", "activation")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    activation: Activation
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ..., activation: _Optional[_Union[Activation, _Mapping]] = ...) -> None: ...

class RollbackExperimentRequest(_message.Message):
    __slots__ = ("id", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class RollbackExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class AbortExperimentRequest(_message.Message):
    __slots__ = ("id", "actor", "reason", "request_id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    reason: str
    request_id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class AbortExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...

class GetResultsRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetResultsHistoryRequest(_message.Message):
    __slots__ = ("id", "max_points")
    ID_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    max_points: int
    def __init__(self, id: _Optional[str] = ..., max_points: _Optional[int] = ...) -> None: ...

class GetResultsHistoryResponse(_message.Message):
    __slots__ = ("points", "stored")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[ResultsPoint]
    stored: int
    def __init__(self, points: _Optional[_Iterable[_Union[ResultsPoint, _Mapping]]] = ..., stored: _Optional[int] = ...) -> None: ...

class ResultsPoint(_message.Message):
    __slots__ = ("at", "verdict", "state", "traffic_bp", "action", "baseline_decisions", "candidate_decisions", "metrics")
    AT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_BP_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    BASELINE_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    verdict: Verdict
    state: ExperimentState
    traffic_bp: int
    action: str
    baseline_decisions: int
    candidate_decisions: int
    metrics: _containers.RepeatedCompositeFieldContainer[MetricPoint]
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., state: _Optional[_Union[ExperimentState, str]] = ..., traffic_bp: _Optional[int] = ..., action: _Optional[str] = ..., baseline_decisions: _Optional[int] = ..., candidate_decisions: _Optional[int] = ..., metrics: _Optional[_Iterable[_Union[MetricPoint, _Mapping]]] = ...) -> None: ...

class MetricPoint(_message.Message):
    __slots__ = ("metric", "difference", "low", "high")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    metric: str
    difference: float
    low: float
    high: float
    def __init__(self, metric: _Optional[str] = ..., difference: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ...) -> None: ...

class ArmSummary(_message.Message):
    __slots__ = ("arm", "decisions", "units", "outcomes", "unassigned")
    ARM_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    arm: Arm
    decisions: int
    units: int
    outcomes: int
    unassigned: int
    def __init__(self, arm: _Optional[_Union[Arm, str]] = ..., decisions: _Optional[int] = ..., units: _Optional[int] = ..., outcomes: _Optional[int] = ..., unassigned: _Optional[int] = ...) -> None: ...

class ArmEstimate(_message.Message):
    __slots__ = ("mean", "low", "high", "n", "clusters")
    MEAN_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    mean: float
    low: float
    high: float
    n: int
    clusters: int
    def __init__(self, mean: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., n: _Optional[int] = ..., clusters: _Optional[int] = ...) -> None: ...

class MetricResult(_message.Message):
    __slots__ = ("metric", "role", "baseline", "candidate", "difference", "low", "high", "p_value", "adjusted_p", "verdict", "relative", "baseline_units", "candidate_units")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTED_P_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_UNITS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_UNITS_FIELD_NUMBER: _ClassVar[int]
    metric: str
    role: str
    baseline: ArmEstimate
    candidate: ArmEstimate
    difference: float
    low: float
    high: float
    p_value: float
    adjusted_p: float
    verdict: Verdict
    relative: bool
    baseline_units: int
    candidate_units: int
    def __init__(self, metric: _Optional[str] = ..., role: _Optional[str] = ..., baseline: _Optional[_Union[ArmEstimate, _Mapping]] = ..., candidate: _Optional[_Union[ArmEstimate, _Mapping]] = ..., difference: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., p_value: _Optional[float] = ..., adjusted_p: _Optional[float] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., relative: _Optional[bool] = ..., baseline_units: _Optional[int] = ..., candidate_units: _Optional[int] = ...) -> None: ...

class GuardrailResult(_message.Message):
    __slots__ = ("metric", "limit", "relative", "excess", "excess_low", "p_value", "adjusted_p", "breached")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_FIELD_NUMBER: _ClassVar[int]
    EXCESS_FIELD_NUMBER: _ClassVar[int]
    EXCESS_LOW_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTED_P_FIELD_NUMBER: _ClassVar[int]
    BREACHED_FIELD_NUMBER: _ClassVar[int]
    metric: str
    limit: float
    relative: bool
    excess: float
    excess_low: float
    p_value: float
    adjusted_p: float
    breached: bool
    def __init__(self, metric: _Optional[str] = ..., limit: _Optional[float] = ..., relative: _Optional[bool] = ..., excess: _Optional[float] = ..., excess_low: _Optional[float] = ..., p_value: _Optional[float] = ..., adjusted_p: _Optional[float] = ..., breached: _Optional[bool] = ...) -> None: ...

class SampleRatio(_message.Message):
    __slots__ = ("baseline_units", "candidate_units", "expected_share", "observed_share", "p_value", "chi_square", "chi_square_p", "mismatch", "epoch")
    BASELINE_UNITS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_UNITS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SHARE_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_SHARE_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHI_SQUARE_FIELD_NUMBER: _ClassVar[int]
    CHI_SQUARE_P_FIELD_NUMBER: _ClassVar[int]
    MISMATCH_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    baseline_units: int
    candidate_units: int
    expected_share: float
    observed_share: float
    p_value: float
    chi_square: float
    chi_square_p: float
    mismatch: bool
    epoch: int
    def __init__(self, baseline_units: _Optional[int] = ..., candidate_units: _Optional[int] = ..., expected_share: _Optional[float] = ..., observed_share: _Optional[float] = ..., p_value: _Optional[float] = ..., chi_square: _Optional[float] = ..., chi_square_p: _Optional[float] = ..., mismatch: _Optional[bool] = ..., epoch: _Optional[int] = ...) -> None: ...

class GetResultsResponse(_message.Message):
    __slots__ = ("experiment_id", "verdict", "reason", "samples_needed", "arms", "metrics", "guardrails", "sample_ratio", "computed_at", "experiment", "epoch_sample_ratios", "coverage", "shadow")
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_NEEDED_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    GUARDRAILS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATIO_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_SAMPLE_RATIOS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    SHADOW_FIELD_NUMBER: _ClassVar[int]
    experiment_id: str
    verdict: Verdict
    reason: str
    samples_needed: int
    arms: _containers.RepeatedCompositeFieldContainer[ArmSummary]
    metrics: _containers.RepeatedCompositeFieldContainer[MetricResult]
    guardrails: _containers.RepeatedCompositeFieldContainer[GuardrailResult]
    sample_ratio: SampleRatio
    computed_at: _timestamp_pb2.Timestamp
    experiment: Experiment
    epoch_sample_ratios: _containers.RepeatedCompositeFieldContainer[SampleRatio]
    coverage: _containers.RepeatedCompositeFieldContainer[OutcomeCoverage]
    shadow: ShadowReplay
    def __init__(self, experiment_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., reason: _Optional[str] = ..., samples_needed: _Optional[int] = ..., arms: _Optional[_Iterable[_Union[ArmSummary, _Mapping]]] = ..., metrics: _Optional[_Iterable[_Union[MetricResult, _Mapping]]] = ..., guardrails: _Optional[_Iterable[_Union[GuardrailResult, _Mapping]]] = ..., sample_ratio: _Optional[_Union[SampleRatio, _Mapping]] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., experiment: _Optional[_Union[Experiment, _Mapping]] = ..., epoch_sample_ratios: _Optional[_Iterable[_Union[SampleRatio, _Mapping]]] = ..., coverage: _Optional[_Iterable[_Union[OutcomeCoverage, _Mapping]]] = ..., shadow: _Optional[_Union[ShadowReplay, _Mapping]] = ...) -> None: ...

class ShadowReplay(_message.Message):
    __slots__ = ("report", "computed_at", "since", "limit")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    report: ReplayReport
    computed_at: _timestamp_pb2.Timestamp
    since: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, report: _Optional[_Union[ReplayReport, _Mapping]] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class OutcomeCoverage(_message.Message):
    __slots__ = ("metric", "maturity_seconds", "baseline_matured", "candidate_matured", "baseline_analysed", "candidate_analysed", "baseline_late", "candidate_late", "test")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    MATURITY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_MATURED_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_MATURED_FIELD_NUMBER: _ClassVar[int]
    BASELINE_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    BASELINE_LATE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_LATE_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    metric: str
    maturity_seconds: int
    baseline_matured: int
    candidate_matured: int
    baseline_analysed: int
    candidate_analysed: int
    baseline_late: int
    candidate_late: int
    test: SampleRatio
    def __init__(self, metric: _Optional[str] = ..., maturity_seconds: _Optional[int] = ..., baseline_matured: _Optional[int] = ..., candidate_matured: _Optional[int] = ..., baseline_analysed: _Optional[int] = ..., candidate_analysed: _Optional[int] = ..., baseline_late: _Optional[int] = ..., candidate_late: _Optional[int] = ..., test: _Optional[_Union[SampleRatio, _Mapping]] = ...) -> None: ...

class Outcome(_message.Message):
    __slots__ = ("decision_id", "on_time", "fulfilment_hours", "logistics_cost_minor", "exception", "manual_intervention", "cancelled", "complaint", "returned", "order_id", "rule_set", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_FIELD_NUMBER: _ClassVar[int]
    FULFILMENT_HOURS_FIELD_NUMBER: _ClassVar[int]
    LOGISTICS_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    MANUAL_INTERVENTION_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    on_time: bool
    fulfilment_hours: float
    logistics_cost_minor: int
    exception: bool
    manual_intervention: bool
    cancelled: bool
    complaint: bool
    returned: bool
    order_id: str
    rule_set: str
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, decision_id: _Optional[str] = ..., on_time: _Optional[bool] = ..., fulfilment_hours: _Optional[float] = ..., logistics_cost_minor: _Optional[int] = ..., exception: _Optional[bool] = ..., manual_intervention: _Optional[bool] = ..., cancelled: _Optional[bool] = ..., complaint: _Optional[bool] = ..., returned: _Optional[bool] = ..., order_id: _Optional[str] = ..., rule_set: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class RecordOutcomeRequest(_message.Message):
    __slots__ = ("outcome",)
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    outcome: Outcome
    def __init__(self, outcome: _Optional[_Union[Outcome, _Mapping]] = ...) -> None: ...

class RecordOutcomeResponse(_message.Message):
    __slots__ = ("decision_id", "experiment_id", "arm", "replaced")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    experiment_id: str
    arm: Arm
    replaced: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., arm: _Optional[_Union[Arm, str]] = ..., replaced: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordOutcomesRequest(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[Outcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[Outcome, _Mapping]]] = ...) -> None: ...

class RecordOutcomeResult(_message.Message):
    __slots__ = ("recorded", "error")
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    recorded: RecordOutcomeResponse
    error: _status_pb2.Status
    def __init__(self, recorded: _Optional[_Union[RecordOutcomeResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class RecordOutcomesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordOutcomeResult]
    def __init__(self, results: _Optional[_Iterable[_Union[RecordOutcomeResult, _Mapping]]] = ...) -> None: ...

class GetOrderHealthRequest(_message.Message):
    __slots__ = ("rule_set", "since", "until", "bucket_seconds")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    BUCKET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    bucket_seconds: int
    def __init__(self, rule_set: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket_seconds: _Optional[int] = ...) -> None: ...

class GetOrderHealthResponse(_message.Message):
    __slots__ = ("rule_set", "since", "until", "bucket_seconds", "buckets", "overall", "retention_seconds")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    BUCKET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    RETENTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    bucket_seconds: int
    buckets: _containers.RepeatedCompositeFieldContainer[HealthBucket]
    overall: _containers.RepeatedCompositeFieldContainer[HealthSeries]
    retention_seconds: int
    def __init__(self, rule_set: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket_seconds: _Optional[int] = ..., buckets: _Optional[_Iterable[_Union[HealthBucket, _Mapping]]] = ..., overall: _Optional[_Iterable[_Union[HealthSeries, _Mapping]]] = ..., retention_seconds: _Optional[int] = ...) -> None: ...

class HealthBucket(_message.Message):
    __slots__ = ("start", "decisions", "decisions_per_minute", "default_rule_decisions", "latency_p50_micros", "latency_p99_micros", "series")
    START_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MICROS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_MICROS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    decisions: int
    decisions_per_minute: float
    default_rule_decisions: int
    latency_p50_micros: float
    latency_p99_micros: float
    series: _containers.RepeatedCompositeFieldContainer[HealthSeries]
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decisions: _Optional[int] = ..., decisions_per_minute: _Optional[float] = ..., default_rule_decisions: _Optional[int] = ..., latency_p50_micros: _Optional[float] = ..., latency_p99_micros: _Optional[float] = ..., series: _Optional[_Iterable[_Union[HealthSeries, _Mapping]]] = ...) -> None: ...

class HealthSeries(_message.Message):
    __slots__ = ("version", "arm", "decisions", "decisions_per_minute", "paths", "default_rule_decisions", "default_rule_bp", "latency_p50_micros", "latency_p99_micros", "outcomes")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_BP_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MICROS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_MICROS_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    version: int
    arm: Arm
    decisions: int
    decisions_per_minute: float
    paths: _containers.RepeatedCompositeFieldContainer[PathCount]
    default_rule_decisions: int
    default_rule_bp: int
    latency_p50_micros: float
    latency_p99_micros: float
    outcomes: _containers.RepeatedCompositeFieldContainer[OutcomeKpi]
    def __init__(self, version: _Optional[int] = ..., arm: _Optional[_Union[Arm, str]] = ..., decisions: _Optional[int] = ..., decisions_per_minute: _Optional[float] = ..., paths: _Optional[_Iterable[_Union[PathCount, _Mapping]]] = ..., default_rule_decisions: _Optional[int] = ..., default_rule_bp: _Optional[int] = ..., latency_p50_micros: _Optional[float] = ..., latency_p99_micros: _Optional[float] = ..., outcomes: _Optional[_Iterable[_Union[OutcomeKpi, _Mapping]]] = ...) -> None: ...

class PathCount(_message.Message):
    __slots__ = ("path", "decisions")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    path: str
    decisions: int
    def __init__(self, path: _Optional[str] = ..., decisions: _Optional[int] = ...) -> None: ...

class OutcomeKpi(_message.Message):
    __slots__ = ("metric", "reports", "mean")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    metric: str
    reports: int
    mean: float
    def __init__(self, metric: _Optional[str] = ..., reports: _Optional[int] = ..., mean: _Optional[float] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "urls", "events", "queued")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    URLS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    urls: _containers.RepeatedScalarFieldContainer[str]
    events: _containers.RepeatedScalarFieldContainer[str]
    queued: int
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ..., urls: _Optional[_Iterable[str]] = ..., events: _Optional[_Iterable[str]] = ..., queued: _Optional[int] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("event_id", "event", "url", "state", "status", "error", "attempts", "at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event: str
    url: str
    state: str
    status: int
    error: str
    attempts: int
    at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., event: _Optional[str] = ..., url: _Optional[str] = ..., state: _Optional[str] = ..., status: _Optional[int] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetRuleInsightsRequest(_message.Message):
    __slots__ = ("rule_set", "since", "until", "limit", "version")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    limit: int
    version: int
    def __init__(self, rule_set: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class GetRuleInsightsResponse(_message.Message):
    __slots__ = ("rule_set", "version", "orders", "reported", "rules", "not_reproduced")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    REPORTED_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    NOT_REPRODUCED_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    version: int
    orders: int
    reported: int
    rules: _containers.RepeatedCompositeFieldContainer[RuleInsight]
    not_reproduced: int
    def __init__(self, rule_set: _Optional[str] = ..., version: _Optional[int] = ..., orders: _Optional[int] = ..., reported: _Optional[int] = ..., rules: _Optional[_Iterable[_Union[RuleInsight, _Mapping]]] = ..., not_reproduced: _Optional[int] = ...) -> None: ...

class RuleInsight(_message.Message):
    __slots__ = ("rule_id", "priority", "matched", "decided", "fields", "kpis", "default_rule")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    priority: int
    matched: int
    decided: int
    fields: _containers.RepeatedCompositeFieldContainer[FieldCount]
    kpis: _containers.RepeatedCompositeFieldContainer[KpiComparison]
    default_rule: bool
    def __init__(self, rule_id: _Optional[str] = ..., priority: _Optional[int] = ..., matched: _Optional[int] = ..., decided: _Optional[int] = ..., fields: _Optional[_Iterable[_Union[FieldCount, _Mapping]]] = ..., kpis: _Optional[_Iterable[_Union[KpiComparison, _Mapping]]] = ..., default_rule: _Optional[bool] = ...) -> None: ...

class FieldCount(_message.Message):
    __slots__ = ("field", "orders")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    field: str
    orders: int
    def __init__(self, field: _Optional[str] = ..., orders: _Optional[int] = ...) -> None: ...

class KpiComparison(_message.Message):
    __slots__ = ("metric", "decided", "rest", "difference", "difference_low", "difference_high")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    DECIDED_FIELD_NUMBER: _ClassVar[int]
    REST_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_LOW_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_HIGH_FIELD_NUMBER: _ClassVar[int]
    metric: str
    decided: KpiEstimate
    rest: KpiEstimate
    difference: float
    difference_low: float
    difference_high: float
    def __init__(self, metric: _Optional[str] = ..., decided: _Optional[_Union[KpiEstimate, _Mapping]] = ..., rest: _Optional[_Union[KpiEstimate, _Mapping]] = ..., difference: _Optional[float] = ..., difference_low: _Optional[float] = ..., difference_high: _Optional[float] = ...) -> None: ...

class KpiEstimate(_message.Message):
    __slots__ = ("reports", "mean", "low", "high")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    reports: int
    mean: float
    low: float
    high: float
    def __init__(self, reports: _Optional[int] = ..., mean: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ...) -> None: ...

class ReplayRuleSetRequest(_message.Message):
    __slots__ = ("rule_set", "candidate_version", "candidate_source", "since", "until", "limit", "by", "latest")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    rule_set: str
    candidate_version: int
    candidate_source: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    limit: int
    by: _containers.RepeatedScalarFieldContainer[str]
    latest: bool
    def __init__(self, rule_set: _Optional[str] = ..., candidate_version: _Optional[int] = ..., candidate_source: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., by: _Optional[_Iterable[str]] = ..., latest: _Optional[bool] = ...) -> None: ...

class ReplayProgress(_message.Message):
    __slots__ = ("replayed", "total", "report")
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    total: int
    report: ReplayReport
    def __init__(self, replayed: _Optional[int] = ..., total: _Optional[int] = ..., report: _Optional[_Union[ReplayReport, _Mapping]] = ...) -> None: ...

class ReplayReport(_message.Message):
    __slots__ = ("replayed", "changed", "changed_low", "changed_high", "not_reproduced", "not_reproduced_examples", "trusted", "fields", "segments", "causes", "examples", "outcomes")
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_LOW_FIELD_NUMBER: _ClassVar[int]
    CHANGED_HIGH_FIELD_NUMBER: _ClassVar[int]
    NOT_REPRODUCED_FIELD_NUMBER: _ClassVar[int]
    NOT_REPRODUCED_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    TRUSTED_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    CAUSES_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    changed: int
    changed_low: float
    changed_high: float
    not_reproduced: int
    not_reproduced_examples: _containers.RepeatedScalarFieldContainer[str]
    trusted: bool
    fields: _containers.RepeatedCompositeFieldContainer[FieldChanges]
    segments: _containers.RepeatedCompositeFieldContainer[ReplaySegment]
    causes: _containers.RepeatedCompositeFieldContainer[RuleCause]
    examples: _containers.RepeatedCompositeFieldContainer[ReplayExample]
    outcomes: _containers.RepeatedCompositeFieldContainer[ReplayOutcomes]
    def __init__(self, replayed: _Optional[int] = ..., changed: _Optional[int] = ..., changed_low: _Optional[float] = ..., changed_high: _Optional[float] = ..., not_reproduced: _Optional[int] = ..., not_reproduced_examples: _Optional[_Iterable[str]] = ..., trusted: _Optional[bool] = ..., fields: _Optional[_Iterable[_Union[FieldChanges, _Mapping]]] = ..., segments: _Optional[_Iterable[_Union[ReplaySegment, _Mapping]]] = ..., causes: _Optional[_Iterable[_Union[RuleCause, _Mapping]]] = ..., examples: _Optional[_Iterable[_Union[ReplayExample, _Mapping]]] = ..., outcomes: _Optional[_Iterable[_Union[ReplayOutcomes, _Mapping]]] = ...) -> None: ...

class ReplayOutcomes(_message.Message):
    __slots__ = ("group", "field", "value", "kpis")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    group: str
    field: str
    value: str
    kpis: _containers.RepeatedCompositeFieldContainer[OutcomeKpi]
    def __init__(self, group: _Optional[str] = ..., field: _Optional[str] = ..., value: _Optional[str] = ..., kpis: _Optional[_Iterable[_Union[OutcomeKpi, _Mapping]]] = ...) -> None: ...

class FieldChanges(_message.Message):
    __slots__ = ("field", "changed", "transitions")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    field: str
    changed: int
    transitions: _containers.RepeatedCompositeFieldContainer[FieldTransition]
    def __init__(self, field: _Optional[str] = ..., changed: _Optional[int] = ..., transitions: _Optional[_Iterable[_Union[FieldTransition, _Mapping]]] = ...) -> None: ...

class FieldTransition(_message.Message):
    __slots__ = ("from_value", "to_value", "orders")
    FROM_VALUE_FIELD_NUMBER: _ClassVar[int]
    TO_VALUE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    from_value: str
    to_value: str
    orders: int
    def __init__(self, from_value: _Optional[str] = ..., to_value: _Optional[str] = ..., orders: _Optional[int] = ...) -> None: ...

class ReplaySegment(_message.Message):
    __slots__ = ("fact", "value", "replayed", "changed")
    FACT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    fact: str
    value: str
    replayed: int
    changed: int
    def __init__(self, fact: _Optional[str] = ..., value: _Optional[str] = ..., replayed: _Optional[int] = ..., changed: _Optional[int] = ...) -> None: ...

class RuleCause(_message.Message):
    __slots__ = ("rule_id", "orders")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    orders: int
    def __init__(self, rule_id: _Optional[str] = ..., orders: _Optional[int] = ...) -> None: ...

class ReplayExample(_message.Message):
    __slots__ = ("field", "from_value", "to_value", "order_id", "decision_id", "before_json", "after_json")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    FROM_VALUE_FIELD_NUMBER: _ClassVar[int]
    TO_VALUE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    BEFORE_JSON_FIELD_NUMBER: _ClassVar[int]
    AFTER_JSON_FIELD_NUMBER: _ClassVar[int]
    field: str
    from_value: str
    to_value: str
    order_id: str
    decision_id: str
    before_json: str
    after_json: str
    def __init__(self, field: _Optional[str] = ..., from_value: _Optional[str] = ..., to_value: _Optional[str] = ..., order_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., before_json: _Optional[str] = ..., after_json: _Optional[str] = ...) -> None: ...

class ExplainDecisionRequest(_message.Message):
    __slots__ = ("order_id", "decision_id", "rule_set")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    decision_id: str
    rule_set: str
    def __init__(self, order_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., rule_set: _Optional[str] = ...) -> None: ...

class ExplainDecisionResponse(_message.Message):
    __slots__ = ("decisions",)
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[ExplainedDecision]
    def __init__(self, decisions: _Optional[_Iterable[_Union[ExplainedDecision, _Mapping]]] = ...) -> None: ...

class ExplainedDecision(_message.Message):
    __slots__ = ("decision_id", "order_id", "rule_set", "version", "content_hash", "decided_at", "experiment_id", "arm", "inputs_json", "masked", "decided_json", "matched_rules", "default_rule_used", "missing_facts", "rules", "disagreements")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    INPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_JSON_FIELD_NUMBER: _ClassVar[int]
    MATCHED_RULES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RULE_USED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FACTS_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    DISAGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    order_id: str
    rule_set: str
    version: int
    content_hash: str
    decided_at: _timestamp_pb2.Timestamp
    experiment_id: str
    arm: Arm
    inputs_json: str
    masked: _containers.RepeatedScalarFieldContainer[str]
    decided_json: str
    matched_rules: _containers.RepeatedScalarFieldContainer[str]
    default_rule_used: bool
    missing_facts: _containers.RepeatedScalarFieldContainer[str]
    rules: _containers.RepeatedCompositeFieldContainer[RuleExplanation]
    disagreements: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., order_id: _Optional[str] = ..., rule_set: _Optional[str] = ..., version: _Optional[int] = ..., content_hash: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., experiment_id: _Optional[str] = ..., arm: _Optional[_Union[Arm, str]] = ..., inputs_json: _Optional[str] = ..., masked: _Optional[_Iterable[str]] = ..., decided_json: _Optional[str] = ..., matched_rules: _Optional[_Iterable[str]] = ..., default_rule_used: _Optional[bool] = ..., missing_facts: _Optional[_Iterable[str]] = ..., rules: _Optional[_Iterable[_Union[RuleExplanation, _Mapping]]] = ..., disagreements: _Optional[_Iterable[str]] = ...) -> None: ...

class RuleExplanation(_message.Message):
    __slots__ = ("rule_id", "priority", "matched", "decided", "tests")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    priority: int
    matched: Truth
    decided: _containers.RepeatedScalarFieldContainer[str]
    tests: _containers.RepeatedCompositeFieldContainer[TestExplanation]
    def __init__(self, rule_id: _Optional[str] = ..., priority: _Optional[int] = ..., matched: _Optional[_Union[Truth, str]] = ..., decided: _Optional[_Iterable[str]] = ..., tests: _Optional[_Iterable[_Union[TestExplanation, _Mapping]]] = ...) -> None: ...

class TestExplanation(_message.Message):
    __slots__ = ("fact", "test", "scope", "negated", "value_json", "held")
    FACT_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    fact: str
    test: str
    scope: str
    negated: bool
    value_json: str
    held: Truth
    def __init__(self, fact: _Optional[str] = ..., test: _Optional[str] = ..., scope: _Optional[str] = ..., negated: _Optional[bool] = ..., value_json: _Optional[str] = ..., held: _Optional[_Union[Truth, str]] = ...) -> None: ...
