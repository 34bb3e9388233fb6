// The benchmark's hello as a Google Cloud Functions (Node) HTTP function.
exports.hello = (req, res) => {
  res.json({ message: 'hello' });
};
