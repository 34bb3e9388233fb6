#!/bin/sh
# A CGI script (RFC 3875): any executable with a shebang in the folder. It runs once per request,
# with the request in its environment and the body on stdin; what it prints is the response.
echo "Content-Type: text/plain"
echo
echo "$REQUEST_METHOD $PATH_INFO below $SCRIPT_NAME, query '$QUERY_STRING', via $GATEWAY_INTERFACE"
if [ -n "$CONTENT_LENGTH" ]; then
  printf 'body: '
  head -c "$CONTENT_LENGTH"
  echo
fi
echo "answered $REQUEST_METHOD $PATH_INFO" >&2
