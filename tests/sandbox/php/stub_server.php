<?php
// A PHP SoapServer serving the vendored WSDL, for measuring how the real soap.php (most likely
// a SoapServer) answers. Run as a router: php -S 127.0.0.1:PORT stub_server.php
// SMSC_WSDL: the vendored WSDL; SMSC_STUB_RESULT: a JSON file with what every operation returns;
// SMSC_STUB_SEEN: where the parameters of the last call are written (JSON).
ini_set('soap.wsdl_cache_enabled', '0');
$url = 'http://' . $_SERVER['HTTP_HOST'] . '/sys/soap.php';
$wsdl = str_replace('https://smsc.ru/sys/soap.php', $url, file_get_contents(getenv('SMSC_WSDL')));
if ($_SERVER['REQUEST_METHOD'] === 'GET' && strcasecmp($_SERVER['QUERY_STRING'] ?? '', 'wsdl') === 0) {
    header('Content-Type: text/xml; charset=utf-8');
    echo $wsdl;
    return true;
}
$file = tempnam(sys_get_temp_dir(), 'smsc-wsdl');
file_put_contents($file, $wsdl);

class Stub {
    private function answer($params) {
        file_put_contents(getenv('SMSC_STUB_SEEN'), json_encode($params));
        return json_decode(file_get_contents(getenv('SMSC_STUB_RESULT')), true);
    }
    function get_balance($p) { return $this->answer($p); }
    function send_sms($p) { return $this->answer($p); }
    function send_sms2($p) { return $this->answer($p); }
    function get_sms_cost($p) { return $this->answer($p); }
    function get_sms_cost2($p) { return $this->answer($p); }
    function get_status($p) { return $this->answer($p); }
    function get_status2($p) { return $this->answer($p); }
}

$server = new SoapServer($file);
$server->setClass('Stub');
$server->handle();
unlink($file);
