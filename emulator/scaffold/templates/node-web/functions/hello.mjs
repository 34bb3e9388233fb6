// GET /v1/local/fn/hello?name=Ada answers {"message": "Hello, Ada!"}.
export default async function handler(req) {
  const name = new URL(req.url).searchParams.get("name") ?? "world";
  return Response.json({ message: `Hello, ${name}!` });
}
