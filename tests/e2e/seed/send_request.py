# The seed notebook's request code (7.kserve/send_request.ipynb), as a script:
# URL from argv; proxies come from HTTP_PROXY like in the notebook's environment.
import json
import sys

import requests

url = sys.argv[1]
headers = {"Content-Type": "application/json"}
if len(sys.argv) > 2:
    headers["Authorization"] = "Bearer " + sys.argv[2]
payload = {"parameters": {"content_type": "np"},
           "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP64",
                       "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]}
response = requests.post(url, headers=headers, data=json.dumps(payload))
print(response.status_code)
print(response.text)
