# gunicorn reads this file when started from the project folder (the README's command).
# Its access log, if turned on (--access-logfile), names the path but never the query
# string or the referring page: they carry search terms, which are personal data.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
