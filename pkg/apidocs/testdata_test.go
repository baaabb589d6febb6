package apidocs

// A hand-written OpenAPI v3 document of group shop.example.com/v1: a
// namespaced Order (nested objects, arrays, maps, an enum, a default, a
// required field, a cycle through Part.subparts and a self-referencing
// Node) and a cluster-scoped Catalog.
const shopV1 = `{
  "paths": {
    "/apis/shop.example.com/v1/": {"get": {}},
    "/apis/shop.example.com/v1/orders": {"get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}}},
    "/apis/shop.example.com/v1/namespaces/{namespace}/orders": {
      "get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}},
      "post": {"x-kubernetes-action": "post", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}}
    },
    "/apis/shop.example.com/v1/namespaces/{namespace}/orders/{name}": {
      "get": {"x-kubernetes-action": "get", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}},
      "delete": {"x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}}
    },
    "/apis/shop.example.com/v1/namespaces/{namespace}/orders/{name}/status": {
      "put": {"x-kubernetes-action": "put", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}}
    },
    "/apis/shop.example.com/v1/watch/namespaces/{namespace}/orders": {"get": {"x-kubernetes-action": "watchlist", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Order"}}},
    "/apis/shop.example.com/v1/catalogs": {"get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Catalog"}}},
    "/apis/shop.example.com/v1/catalogs/{name}": {"get": {"x-kubernetes-action": "get", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1", "kind": "Catalog"}}}
  },
  "components": {"schemas": {
    "com.example.shop.v1.Order": {
      "description": "Order is <b>one</b> purchase | with a pipe.\n\nSecond paragraph.",
      "type": "object",
      "properties": {
        "status": {"type": "string"},
        "spec": {"default": {}, "allOf": [{"$ref": "#/components/schemas/com.example.shop.v1.OrderSpec"}]},
        "metadata": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]},
        "kind": {"type": "string"},
        "apiVersion": {"type": "string"}
      },
      "x-kubernetes-group-version-kind": [{"group": "shop.example.com", "version": "v1", "kind": "Order"}]
    },
    "com.example.shop.v1.OrderList": {
      "type": "object",
      "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/com.example.shop.v1.Order"}}},
      "x-kubernetes-group-version-kind": [{"group": "shop.example.com", "version": "v1", "kind": "OrderList"}]
    },
    "com.example.shop.v1.OrderSpec": {
      "description": "OrderSpec is the wanted order.",
      "type": "object",
      "required": ["priority"],
      "properties": {
        "priority": {"description": "Priority of the order.", "type": "string", "enum": ["low", "high"], "default": "low"},
        "quantity": {"type": "integer", "format": "int32", "default": 1},
        "parts": {"description": "Parts to ship.", "type": "array", "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/com.example.shop.v1.Part"}]}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "byWarehouse": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/com.example.shop.v1.Part"}},
        "tree": {"$ref": "#/components/schemas/com.example.shop.v1.Node"},
        "created": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
        "size": {"x-kubernetes-int-or-string": true},
        "shipping": {"type": "object", "properties": {"address": {"type": "string", "description": "Where to."}}},
        "colour": {"$ref": "#/components/schemas/com.example.shop.v1.Colour"}
      }
    },
    "com.example.shop.v1.Part": {
      "description": "Part is one piece.",
      "type": "object",
      "properties": {
        "name": {"type": "string"},
        "subparts": {"type": "array", "items": {"$ref": "#/components/schemas/com.example.shop.v1.Part"}}
      }
    },
    "com.example.shop.v1.Node": {
      "type": "object",
      "properties": {
        "value": {"type": "string"},
        "next": {"$ref": "#/components/schemas/com.example.shop.v1.Node"}
      }
    },
    "com.example.shop.v1.Colour": {"type": "string", "enum": ["red", "blue"]},
    "com.example.shop.v1.Catalog": {
      "description": "Catalog lists what can be ordered.",
      "type": "object",
      "properties": {"entries": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}},
      "x-kubernetes-group-version-kind": [{"group": "shop.example.com", "version": "v1", "kind": "Catalog"}]
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"type": "object", "properties": {"name": {"type": "string"}}},
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": {"type": "string", "format": "date-time"}
  }}
}`

// shopV1alpha1 is an older version with one kind.
const shopV1alpha1 = `{
  "paths": {
    "/apis/shop.example.com/v1alpha1/catalogs": {"get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": {"group": "shop.example.com", "version": "v1alpha1", "kind": "Catalog"}}}
  },
  "components": {"schemas": {
    "com.example.shop.v1alpha1.Catalog": {
      "type": "object",
      "properties": {"title": {"type": "string"}},
      "x-kubernetes-group-version-kind": [{"group": "shop.example.com", "version": "v1alpha1", "kind": "Catalog"}]
    }
  }}
}`

func shopDocs(preferred string) GroupDocs {
	return GroupDocs{
		Group:            "shop.example.com",
		PreferredVersion: preferred,
		OpenAPI:          map[string][]byte{"v1": []byte(shopV1), "v1alpha1": []byte(shopV1alpha1)},
	}
}
