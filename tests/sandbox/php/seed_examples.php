<?php
// The SOAP page's own examples (seed 004), unchanged but for the WSDL URL (argv[1]).
// Prints one JSON object per call.
$wsdl = $argv[1];

$client = new SoapClient($wsdl); $ret = $client->send_sms(array('login'=>'alex', 'psw'=>'123', 'phones'=>'79999999999', 'mes'=>'Hello world!', 'id'=>'', 'sender'=>'ivan', 'time'=>0));
echo json_encode(array('send_sms' => $ret)), "\n";

$client = new SoapClient ($wsdl); $ret = $client->get_sms_cost(array('login'=>'alex', 'psw'=>'123', 'phones'=>'79999999999', 'mes'=>'Hello world!'));
echo json_encode(array('get_sms_cost' => $ret)), "\n";

$client = new SoapClient ($wsdl); $ret = $client->get_status(array('login'=>'alex', 'psw'=>'123', 'phone'=>'79999999999', 'id'=>'999', 'all'=>'0'));
echo json_encode(array('get_status' => $ret)), "\n";

$client = new SoapClient ($wsdl); $ret = $client->get_balance(array('login'=>'alex', 'psw'=>'123'));
echo json_encode(array('get_balance' => $ret)), "\n";

// Not from the page: the status of the message sent above, with the id the service gave it.
$first = new SoapClient($wsdl);
$sent = $first->send_sms(array('login'=>'alex', 'psw'=>'123', 'phones'=>'79999999999', 'mes'=>'Second', 'id'=>'', 'sender'=>'ivan', 'time'=>0));
$ret = $first->get_status(array('login'=>'alex', 'psw'=>'123', 'phone'=>'79999999999', 'id'=>$sent->sendresult->id, 'all'=>'2'));
echo json_encode(array('get_status_sent' => $ret)), "\n";
