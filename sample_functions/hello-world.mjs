// The platform's own example (Web fetch style), unchanged; it also runs every day at 09:00 UTC (hello-world.json).
export default async function handler(req) {
 return new Response(JSON.stringify({ message: 'Hello!' }), {
  headers: { 'Content-Type': 'application/json' }
 });
}
