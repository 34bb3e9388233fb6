// A Node Lambda-style function (CommonJS), routed by method and path: GET /v1/local/fn/inventory/items/7
const stock = { 7: { name: "widget", count: 12 } };

exports.handler = async (event) => {
  const [, kind, id] = event.path.split("/");
  console.info("lookup", event.httpMethod, kind, id);
  if (event.httpMethod !== "GET" || kind !== "items" || !(id in stock)) {
    console.warn("not found:", event.path);
    return { statusCode: 404, body: JSON.stringify({ error: "no such item" }) };
  }
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ id: Number(id), ...stock[id] }),
  };
};
