#!/bin/bash
# A HOMER-style capture node for the HEP test: Kamailio's sipcapture module listening for
# HEPv3 on 127.0.0.1:PORT and storing every message it accepts in a db_text table, the way
# a HOMER node stores them in SQL. Runs the given command against it, stops Kamailio (db_text
# writes the table out on shutdown) and prints the table.
#   kamailio_hep_node.sh DIR PORT NODE_NAME -- COMMAND...
set -euo pipefail
dir=$1 port=$2 node=$3
shift 4
mkdir -p "$dir/db" "$dir/run"

# The columns sip_capture() inserts (Kamailio 5.6's defaults), as a db_text header. db_text
# has no 64-bit integer column: micro_ts is stored modulo 2^32.
cols=(date micro_ts method reply_reason ruri ruri_user ruri_domain from_user from_domain from_tag
      to_user to_domain to_tag pid_user contact_user auth_user callid callid_aleg via_1 via_1_branch
      cseq diversion reason content_type auth user_agent source_ip source_port destination_ip
      destination_port contact_ip contact_port originator_ip originator_port correlation_id
      custom_field1 custom_field2 custom_field3 proto family rtp_stat type node msg)
header="id(int,auto)"
for c in "${cols[@]}"; do
    case $c in
        date|micro_ts|*_port|proto|family|type) header+=" $c(int)" ;;
        *) header+=" $c(string)" ;;
    esac
done
echo "$header" > "$dir/db/sip_capture"

modules=$(dirname "$(find /usr/lib -path '*kamailio/modules/sipcapture.so' -print -quit)")
cat > "$dir/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:$port
mpath="$modules/"
loadmodule "db_text.so"
loadmodule "sipcapture.so"
modparam("sipcapture", "db_url", "text://$dir/db")
modparam("sipcapture", "capture_on", 1)
modparam("sipcapture", "hep_capture_on", 1)
modparam("sipcapture", "capture_node", "$node")
request_route { sip_capture(); drop; }
onreply_route { sip_capture(); drop; }
CFG

kamailio -DD -E -m 32 -M 4 -f "$dir/kamailio.cfg" -Y "$dir/run" > "$dir/kamailio.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    ss -Hlun "sport = :$port" | grep -q . && break
    sleep 0.1
done
ss -Hlun "sport = :$port" | grep -q . || { echo "kamailio did not listen:" >&2; cat "$dir/kamailio.log" >&2; exit 1; }

"$@" > "$dir/command.out"
sleep 0.5  # the last datagrams reach Kamailio's worker
kill -TERM $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
cat "$dir/db/sip_capture"
